/**
 * The shared buffer budget of `MinioObjectStore` against a real S3 server: many concurrent puts
 * through one store buffer at most `maxBufferedBytes` together, never deadlock at the smallest
 * budget (`2 × partSize`), and a put waiting for budget is aborted by its signal.
 */
import { MinioObjectStore } from '@strata/objectstore/minio'
import { patternStream, peakMemoryGrowth, randomKey, sha256Of } from '@strata/objectstore/testing'
import { createTestBucket, describeS3, incompleteUploads, type TestBucket } from '@strata/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'

const MiB = 1024 * 1024
const PART = 5 * MiB

/** A body that yields `bytes` then stalls until `signal` aborts (as a request whose client went away). */
async function* stalled(bytes: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(bytes)
  await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
}

describeS3('MinioObjectStore buffer budget', (settings) => {
  let bucket: TestBucket
  beforeAll(async () => {
    bucket = await createTestBucket(settings, 'budget')
  })
  afterAll(async () => {
    await bucket?.destroy()
  })

  const storeWith = async (maxBufferedBytes: number) => {
    const store = new MinioObjectStore({
      client: bucket.client,
      bucket: bucket.name,
      partSize: PART,
      maxBufferedBytes,
    })
    await store.open()
    return store
  }

  it('16 concurrent puts (multipart and whole) stay within a 10 MiB budget, intact', async () => {
    const store = await storeWith(2 * PART)
    // 8 × 12 MiB multipart (parts 5 + 5 + 2) and 8 × 3 MiB whole: 120 MiB of body in all, which
    // without the budget would be buffered at once (2 parts per multipart put, whole bodies).
    const jobs = Array.from({ length: 16 }, (_, i) => {
      const size = i % 2 === 0 ? 12 * MiB : 3 * MiB + i * 1000
      return { key: randomKey('budget'), size, pattern: patternStream(size, 256 * 1024) }
    })
    let maxWaiting = 0
    const sampler = setInterval(() => {
      maxWaiting = Math.max(maxWaiting, store.bufferBudget.waiting)
    }, 5)
    let growth: number
    try {
      growth = await peakMemoryGrowth(async () => {
        await Promise.all(jobs.map((job) => store.put(job.key, job.size, job.pattern.stream())))
      })
    } finally {
      clearInterval(sampler)
    }
    const { capacity, highWaterMark, inUse, waiting } = store.bufferBudget
    console.log(
      `budget ${capacity / MiB} MiB: high-water ${(highWaterMark / MiB).toFixed(1)} MiB, ` +
        `most waiting ${maxWaiting}, heap+arrayBuffers growth ${(growth / MiB).toFixed(1)} MiB ` +
        `for 120 MiB of concurrent bodies`,
    )
    expect(highWaterMark).toBeLessThanOrEqual(capacity)
    expect(highWaterMark).toBeGreaterThan(PART) // the budget was really used…
    expect(maxWaiting).toBeGreaterThan(0) // …and really waited on
    expect([inUse, waiting]).toEqual([0, 0])
    // The budget (10 MiB: its buffers, pooled) + the sources' chunks in flight (16 × 256 KiB) +
    // socket copies the GC has not collected yet (it runs every 4 MiB of each source): measured
    // 26 MiB, against 104–107 MiB through a 1 GiB budget (all 120 MiB held at once).
    expect(growth).toBeLessThan(48 * MiB)
    for (const job of jobs) {
      const read = await sha256Of((await store.get(job.key)).body)
      expect(read).toEqual({ hex: job.pattern.sha256(), bytes: job.size })
    }
    expect(await incompleteUploads(bucket.client, bucket.name, 'budget')).toEqual([])
  })

  it('does not deadlock at the smallest budget: every multipart put holding a part in flight progresses', async () => {
    const store = await storeWith(2 * PART)
    const size = 4 * PART + 123 // 5 parts
    const jobs = Array.from({ length: 6 }, () => ({ key: randomKey('dl'), pattern: patternStream(size) }))
    await Promise.all(jobs.map((job) => store.put(job.key, size, job.pattern.stream())))
    for (const job of jobs) {
      expect((await sha256Of((await store.get(job.key)).body)).hex).toBe(job.pattern.sha256())
    }
    expect(store.bufferBudget.inUse).toBe(0)
  })

  it('a put waiting for budget is aborted by its signal, holding nothing and leaving no upload', async () => {
    const store = await storeWith(2 * PART)
    const holders = new AbortController()
    // Two multipart puts whose bodies stall mid-part: each holds one 5 MiB buffer, the whole budget.
    const held = [randomKey('hold'), randomKey('hold')].map((key) =>
      store
        .put(key, 3 * PART, stalled(MiB, holders.signal), { signal: holders.signal })
        .catch((error: unknown) => error),
    )
    // (until both uploads exist: an abort cutting CreateMultipartUpload short may leave one behind)
    const deadline = Date.now() + 10_000
    const started = async () => (await incompleteUploads(bucket.client, bucket.name, 'hold')).length === 2
    while (!(store.bufferBudget.inUse === 2 * PART && (await started())) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(store.bufferBudget.inUse).toBe(2 * PART)
    const waiter = new AbortController()
    const key = randomKey('wait')
    const blocked = store.put(key, 2 * MiB, stalled(MiB, waiter.signal), { signal: waiter.signal })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(store.bufferBudget.waiting).toBe(1)
    const reason = new Error('client went away')
    waiter.abort(reason)
    await expect(blocked).rejects.toBe(reason)
    expect(store.bufferBudget.waiting).toBe(0)
    holders.abort(new Error('done'))
    for (const outcome of await Promise.all(held)) expect((outcome as Error).message).toBe('done')
    expect(store.bufferBudget.inUse).toBe(0)
    expect(await store.has(key)).toBe(false)
    expect(await incompleteUploads(bucket.client, bucket.name, 'hold')).toEqual([])
  })
})
