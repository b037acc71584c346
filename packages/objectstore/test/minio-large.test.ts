import { MinioObjectStore } from '@strata/objectstore/minio'
import { patternStream, peakMemoryGrowth, randomKey, sha256Of } from '@strata/objectstore/testing'
import { createTestBucket, describeS3, type TestBucket } from '@strata/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'

const MiB = 1024 * 1024
const SIZE = 256 * MiB

describeS3('MinioObjectStore with a 256 MiB object', (settings) => {
  let bucket: TestBucket
  let store: MinioObjectStore
  beforeAll(async () => {
    bucket = await createTestBucket(settings, 'large')
    store = new MinioObjectStore({ client: bucket.client, bucket: bucket.name })
    await store.open()
  })
  afterAll(async () => {
    await bucket?.destroy()
  })

  it('streams it up and down with memory growth under 64 MiB (default 8 MiB parts)', async () => {
    const key = randomKey()
    const pattern = patternStream(SIZE)
    const rss = rssSampler()
    const started = performance.now()
    let upMs = 0
    let read = { hex: '', bytes: 0 }
    try {
      const growth = await peakMemoryGrowth(async () => {
        await store.put(key, SIZE, pattern.stream())
        upMs = performance.now() - started
        read = await sha256Of((await store.get(key)).body)
      })
      const downMs = performance.now() - started - upMs
      const rssGrowth = rss.stop()
      const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`
      const rate = (ms: number) => `${(SIZE / MiB / (ms / 1000)).toFixed(0)} MiB/s`
      console.log(
        `256 MiB via MinioObjectStore: peak growth arrayBuffers+heapUsed ${mib(growth)}, RSS ${mib(rssGrowth)}; ` +
          `up ${(upMs / 1000).toFixed(1)} s (${rate(upMs)}), down ${(downMs / 1000).toFixed(1)} s (${rate(downMs)})`,
      )
      expect(read).toEqual({ hex: pattern.sha256(), bytes: SIZE })
      expect(growth).toBeLessThan(64 * MiB)
      expect(rssGrowth).toBeLessThan(64 * MiB)
    } finally {
      rss.stop()
      await store.delete(key)
    }
  })
})

/** Samples the process RSS every 2 ms; `stop()` answers the peak growth over the starting level. */
function rssSampler(): { stop(): number } {
  const baseline = process.memoryUsage.rss()
  let peak = baseline
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, 2)
  return {
    stop() {
      clearInterval(timer)
      peak = Math.max(peak, process.memoryUsage.rss())
      return peak - baseline
    },
  }
}
