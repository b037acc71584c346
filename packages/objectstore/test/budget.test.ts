import { BufferBudget, type Lease } from '@strata/objectstore/budget'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { Client } from 'minio'
import { describe, expect, it } from 'vitest'

const MiB = 1024 * 1024
const client = () =>
  new Client({ endPoint: '127.0.0.1', port: 9, useSSL: false, accessKey: 'a', secretKey: 'b' })

/** Lets every queued microtask and the next macrotask run. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

/** Tracks whether a promise has settled yet. */
function watch<T>(promise: Promise<T>): { readonly value: T | undefined; readonly error: unknown } {
  const state: { value: T | undefined; error: unknown } = { value: undefined, error: undefined }
  promise.then(
    (value) => {
      state.value = value
    },
    (error: unknown) => {
      state.error = error
    },
  )
  return state
}

describe('BufferBudget', () => {
  it('rejects a capacity or a request that is not a whole number of bytes', async () => {
    expect(() => new BufferBudget(0)).toThrow(RangeError)
    expect(() => new BufferBudget(1.5)).toThrow(RangeError)
    expect(() => new BufferBudget(Number.NaN)).toThrow(RangeError)
    const budget = new BufferBudget(10)
    await expect(budget.acquire(-1)).rejects.toThrow(RangeError)
    await expect(budget.acquire(0.5)).rejects.toThrow(RangeError)
  })

  it('grants at once while bytes are free, and counts them', async () => {
    const budget = new BufferBudget(100)
    const a = await budget.acquire(60)
    const b = await budget.acquire(40)
    expect([a.bytes, b.bytes, budget.inUse, budget.highWaterMark]).toEqual([60, 40, 100, 100])
    a.release()
    a.release() // idempotent: no double credit
    expect(budget.inUse).toBe(40)
    b.release()
    expect([budget.inUse, budget.highWaterMark]).toEqual([0, 100])
  })

  it('serves waiters in FIFO order: a small request does not overtake a large one', async () => {
    const budget = new BufferBudget(100)
    const held = await budget.acquire(90)
    const large = watch(budget.acquire(50))
    const small = watch(budget.acquire(5)) // would fit now, but waits behind `large`
    await settle()
    expect([large.value, small.value, budget.waiting]).toEqual([undefined, undefined, 2])
    held.release()
    await settle()
    expect(large.value?.bytes).toBe(50)
    expect(small.value?.bytes).toBe(5)
    expect([budget.inUse, budget.waiting]).toEqual([55, 0])
  })

  it('clamps a request larger than the capacity to it, so it is served once the budget is free', async () => {
    const budget = new BufferBudget(100)
    const held = await budget.acquire(1)
    const huge = watch(budget.acquire(1000))
    await settle()
    expect(huge.value).toBeUndefined()
    held.release()
    await settle()
    expect(huge.value?.bytes).toBe(100)
    expect(budget.highWaterMark).toBe(100)
  })

  it('an aborted wait rejects with the reason, holds nothing, and unblocks those behind it', async () => {
    const budget = new BufferBudget(100)
    const held = await budget.acquire(60)
    const controller = new AbortController()
    const blocked = watch(budget.acquire(50, controller.signal))
    const behind = watch(budget.acquire(30))
    await settle()
    expect(behind.value).toBeUndefined()
    const reason = new Error('client went away')
    controller.abort(reason)
    await settle()
    expect(blocked.error).toBe(reason)
    expect(behind.value?.bytes).toBe(30)
    expect(budget.inUse).toBe(90)
    held.release()
    // an already aborted signal never queues
    await expect(budget.acquire(1, AbortSignal.abort(reason))).rejects.toBe(reason)
    expect([budget.inUse, budget.waiting]).toEqual([30, 0])
  })

  it('an abort after the grant changes nothing', async () => {
    const budget = new BufferBudget(10)
    const controller = new AbortController()
    const lease: Lease = await budget.acquire(10, controller.signal)
    controller.abort()
    expect(budget.inUse).toBe(10)
    lease.release()
    expect(budget.inUse).toBe(0)
  })

  it('never holds more than the capacity under churn', async () => {
    const budget = new BufferBudget(64)
    let running = 0
    const worker = async (id: number) => {
      for (let i = 0; i < 50; i++) {
        const lease = await budget.acquire(((id * 7 + i * 13) % 40) + 1)
        running += lease.bytes
        expect(running).toBeLessThanOrEqual(64)
        await settle()
        running -= lease.bytes
        lease.release()
      }
    }
    await Promise.all(Array.from({ length: 10 }, (_, id) => worker(id)))
    expect(budget.inUse).toBe(0)
    expect(budget.highWaterMark).toBeLessThanOrEqual(64)
  })
})

describe('BufferBudget pool', () => {
  // sizes in KiB: Buffer.allocUnsafe slices buffers under 4 KiB from one shared slab
  const K = 1024
  it('reuses a released part-sized buffer, counting it whole, and pools it while idle', async () => {
    const budget = new BufferBudget(100 * K, { bufferSize: 40 * K })
    const first = await budget.acquireBuffer(40 * K)
    expect([first.bytes, first.buffer.length, budget.inUse, budget.pooled]).toEqual([
      40 * K,
      40 * K,
      40 * K,
      0,
    ])
    const underlying = first.buffer.buffer
    first.release()
    expect([budget.inUse, budget.pooled]).toEqual([0, 40 * K])
    // a last, shorter part (over half the size) takes the same buffer, counted whole
    const last = await budget.acquireBuffer(25 * K)
    expect([last.bytes, last.buffer.length, last.buffer.buffer === underlying]).toEqual([
      40 * K,
      25 * K,
      true,
    ])
    expect(budget.pooled).toBe(0)
    last.release()
    // small or oversized requests count their own bytes and get fresh buffers
    const small = await budget.acquireBuffer(10 * K)
    expect([small.bytes, small.buffer.length, small.buffer.buffer === underlying]).toEqual([
      10 * K,
      10 * K,
      false,
    ])
    small.release()
    const big = await budget.acquireBuffer(60 * K)
    expect([big.bytes, big.buffer.length]).toEqual([60 * K, 60 * K])
    big.release()
  })

  it('drops idle pooled buffers as soon as a lease needs their room: inUse + pooled <= capacity', async () => {
    const budget = new BufferBudget(100 * K, { bufferSize: 40 * K })
    const a = await budget.acquireBuffer(40 * K)
    const b = await budget.acquireBuffer(40 * K)
    a.release()
    b.release()
    expect([budget.inUse, budget.pooled]).toEqual([0, 80 * K])
    const plain = await budget.acquire(70 * K) // not blocked by idle buffers
    expect(budget.inUse + budget.pooled).toBeLessThanOrEqual(100 * K)
    expect(budget.pooled).toBe(0)
    plain.release()
    expect(() => new BufferBudget(10, { bufferSize: -1 })).toThrow(RangeError)
  })
})

describe('MinioObjectStore maxBufferedBytes', () => {
  it('defaults to 64 MiB, or 2 × partSize when that is more', () => {
    expect(new MinioObjectStore({ client: client(), bucket: 'b' }).bufferBudget.capacity).toBe(64 * MiB)
    const big = new MinioObjectStore({ client: client(), bucket: 'b', partSize: 40 * MiB })
    expect(big.bufferBudget.capacity).toBe(80 * MiB)
  })

  it('must be an integer of at least 2 × partSize (RangeError, without I/O)', () => {
    const make = (maxBufferedBytes: number) => () =>
      new MinioObjectStore({ client: client(), bucket: 'b', partSize: 5 * MiB, maxBufferedBytes })
    expect(make(10 * MiB - 1)).toThrow(RangeError)
    expect(make(10 * MiB + 0.5)).toThrow(RangeError)
    expect(make(Number.POSITIVE_INFINITY)).toThrow(RangeError)
    expect(make(10 * MiB)().bufferBudget.capacity).toBe(10 * MiB)
  })
})
