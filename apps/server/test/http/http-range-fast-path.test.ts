import { VerifiedBlobStore } from '@strata/blobstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { Hono } from 'hono'
import { base58btc } from 'multiformats/bases/base58'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { blobReadRoutes, errorHandler, routeNotFound } from '../../src/http/index.js'

// A plain `bytes=a-b` GET is answered from ONE backend read (size and bytes together); anything
// the backend refuses falls back to the general path, which clamps or answers 416.
describe('single-range GET', async () => {
  const bytes = new Uint8Array(1000).map((_, i) => i % 251)
  const digest = await sha256.digest(bytes)
  const path = `/blob/${base58btc.encode(digest.bytes)}`
  const backend = new MemoryObjectStore()
  let reads = 0
  const counting = Object.assign(Object.create(null), {
    open: () => backend.open(),
    close: () => backend.close(),
    put: backend.put.bind(backend),
    has: backend.has.bind(backend),
    delete: backend.delete.bind(backend),
    list: backend.list.bind(backend),
    get: (...args: Parameters<MemoryObjectStore['get']>) => {
      reads++
      return backend.get(...args)
    },
  })
  const blobs = new VerifiedBlobStore({ backend: counting })
  await blobs.put(digest, bytes.length, bytes)
  const app = new Hono()
  app.onError(errorHandler())
  app.notFound(routeNotFound)
  app.route('/', blobReadRoutes({ blobs }))

  const get = async (range: string) => {
    reads = 0
    const res = await app.request(path, { headers: { Range: range } })
    return { res, body: new Uint8Array(await res.arrayBuffer()), reads }
  }

  it('reads the backend once for a range inside the blob', async () => {
    const { res, body, reads } = await get('bytes=100-199')
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe('bytes 100-199/1000')
    expect(body).toEqual(bytes.subarray(100, 200))
    expect(reads).toBe(1)
  })

  it('still clamps a range ending past the blob, and answers 416 past its start', async () => {
    const clamped = await get('bytes=900-5000')
    expect(clamped.res.status).toBe(206)
    expect(clamped.res.headers.get('content-range')).toBe('bytes 900-999/1000')
    expect(clamped.body).toEqual(bytes.subarray(900))
    const outside = await get('bytes=1000-1001')
    expect(outside.res.status).toBe(416)
    expect(outside.res.headers.get('content-range')).toBe('bytes */1000')
  })
})
