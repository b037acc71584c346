/**
 * What each form of `GET` / `HEAD /blob/:digest` costs the backend, pinned: object-store calls on
 * every backend, and S3 requests on the real S3 server (Ceph RGW). One request per answer for a
 * plain GET, a single range of each form, If-Range and If-None-Match; one HEAD for HEAD; one stat
 * plus one read per range for several ranges. No answer learns a size by catching an error.
 */
import { FlatfsKeyEncoder, VerifiedBlobStore } from '@strata/blobstore'
import type { ObjectStore } from '@strata/objectstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { createTestBucket, describeS3, type TestBucket } from '@strata/testkit'
import type { Client } from 'minio'
import { base58btc } from 'multiformats/bases/base58'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorHandler, routeNotFound } from '../../src/http/error-response.js'
import { blobReadRoutes } from '../../src/http/routes/blobs/index.js'

/** Counts the calls an object store receives, by method. */
function counting(inner: ObjectStore): { store: ObjectStore; calls: Record<string, number> } {
  const calls: Record<string, number> = {}
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls[String(property)] = (calls[String(property)] ?? 0) + 1
        return value.apply(target, args)
      }
    },
  })
  return { store, calls }
}

/** Counts the HTTP requests a minio client sends. */
function countRequests(client: Client): { count: number } {
  const counter = { count: 0 }
  const holder = client as unknown as { transport: { request: (...args: unknown[]) => unknown } }
  const transport = holder.transport
  holder.transport = {
    ...transport,
    request: (...args: unknown[]) => {
      counter.count++
      return transport.request(...args)
    },
  }
  return counter
}

const SIZE = 100_000
const bytes = new Uint8Array(SIZE).map((_, i) => (i * 7) % 256)
const digest = await sha256.digest(bytes)
const path = `/blob/${base58btc.encode(digest.bytes)}`
const etag = `"${base58btc.encode(digest.bytes)}"`
const missing = `/blob/${base58btc.encode((await sha256.digest(new Uint8Array([1]))).bytes)}`

/** [label, method, headers, status, object-store calls, S3 requests on RGW] */
const FORMS: Array<[string, 'GET' | 'HEAD', Record<string, string>, number, Record<string, number>, number]> =
  [
    ['plain GET', 'GET', {}, 200, { get: 1 }, 1],
    ['bytes=a-b', 'GET', { range: 'bytes=100-199' }, 206, { get: 1 }, 1],
    ['bytes=a- ', 'GET', { range: 'bytes=99000-' }, 206, { get: 1 }, 1],
    ['bytes=-n', 'GET', { range: 'bytes=-500' }, 206, { get: 1 }, 1],
    ['a-b past the end (clamped)', 'GET', { range: 'bytes=99990-200000' }, 206, { get: 1 }, 1],
    ['If-Range matching', 'GET', { range: 'bytes=0-9', 'if-range': etag }, 206, { get: 1 }, 1],
    ['If-Range not matching', 'GET', { range: 'bytes=0-9', 'if-range': '"other"' }, 200, { get: 1 }, 1],
    ['If-None-Match matching', 'GET', { 'if-none-match': etag }, 304, { stat: 1 }, 1],
    ['If-None-Match not matching', 'GET', { 'if-none-match': '"other"' }, 200, { get: 1 }, 1],
    ['HEAD', 'HEAD', {}, 200, { stat: 1 }, 1],
    ['HEAD with a range', 'HEAD', { range: 'bytes=5-9' }, 206, { stat: 1 }, 1],
    ['three ranges', 'GET', { range: 'bytes=0-9,500-599,-10' }, 206, { stat: 1, get: 3 }, 4],
    // RGW's 416 does not state the size, so the store asks it (HEAD): AWS and MinIO state it.
    ['unsatisfiable bytes=a-', 'GET', { range: `bytes=${SIZE}-` }, 416, { get: 1 }, 2],
  ]

function costSuite(
  name: string,
  s3: boolean,
  make: () => Promise<{ backend: ObjectStore; requests?: { count: number } }>,
) {
  describe(`blob read cost: ${name}`, () => {
    let calls: Record<string, number>
    let requests: { count: number } | undefined
    let app: ReturnType<typeof blobReadRoutes>
    beforeAll(async () => {
      const made = await make()
      const counted = counting(made.backend)
      calls = counted.calls
      requests = made.requests
      const blobs = new VerifiedBlobStore({ backend: counted.store, keyEncoder: new FlatfsKeyEncoder() })
      await blobs.put(digest, SIZE, bytes)
      app = blobReadRoutes({ blobs })
      app.onError(errorHandler())
      app.notFound(routeNotFound)
    })

    const measure = async (method: string, headers: Record<string, string>, at = path) => {
      for (const key of Object.keys(calls)) delete calls[key]
      if (requests) requests.count = 0
      const res = await app.request(at, { method, headers })
      await res.arrayBuffer()
      return { status: res.status, calls: { ...calls }, requests: requests?.count }
    }

    for (const [label, method, headers, status, storeCalls, s3Requests] of FORMS) {
      it(`${label}: ${JSON.stringify(storeCalls)}${s3 ? `, ${s3Requests} S3 request(s)` : ''}`, async () => {
        const cost = await measure(method, headers)
        expect(cost.status).toBe(status)
        expect(cost.calls).toEqual(storeCalls)
        if (requests !== undefined) expect(cost.requests).toBe(s3Requests)
      })
    }

    it('a missing blob costs one read (404)', async () => {
      const cost = await measure('GET', { range: 'bytes=0-9' }, missing)
      expect(cost.status).toBe(404)
      expect(cost.calls).toEqual({ get: 1 })
      if (requests !== undefined) expect(cost.requests).toBe(1)
    })
  })
}

costSuite('memory', false, async () => ({ backend: new MemoryObjectStore() }))

describeS3('blob read cost on S3', (settings) => {
  let bucket: TestBucket
  afterAll(async () => {
    await bucket?.destroy()
  })
  costSuite('s3 (Ceph RGW)', true, async () => {
    bucket = await createTestBucket(settings, 'read-cost')
    const backend = new MinioObjectStore({ client: bucket.client, bucket: bucket.name })
    await backend.open()
    return { backend, requests: countRequests(bucket.client) }
  })
})
