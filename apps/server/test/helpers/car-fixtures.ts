/** The CAR routes' test harness: the routes over a CarStore whose every store can be listed. */

import { createHash } from 'node:crypto'
import { VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { S3BlockIndex } from '@strata/car/s3'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { listKeys } from '@strata/objectstore/testing'
import { expect } from 'vitest'
import { errorHandler, routeNotFound } from '../../src/http/error-response.js'
import { cors } from '../../src/http/middleware/cors.js'
import { createRouter } from '../../src/http/openapi.js'
import { blockReadRoutes } from '../../src/http/routes/blocks/index.js'
import { carExportRoutes, carImportRoutes } from '../../src/http/routes/cars/index.js'

export const TOKEN = 'car-routes-test-token-0123'
export const PUBLIC = 'http://strata.test:8080'
export const bearer = { authorization: `Bearer ${TOKEN}` }

/**
 * The CAR and block routes over memory stores: blobs, the block index in the S3 layout (one key
 * per entry, so it can be listed) and the records; `maxSize` is `server.maxBlobSize`.
 */
export function carApp(maxSize = 1024 * 1024) {
  const blobsBackend = new MemoryObjectStore()
  const indexBackend = new MemoryObjectStore()
  const recordsBackend = new MemoryObjectStore()
  const blobs = new VerifiedBlobStore({ backend: blobsBackend })
  const cars = new CarStore({
    blobs,
    index: new S3BlockIndex({ backend: indexBackend }),
    records: recordsBackend,
  })
  const logged: unknown[] = []
  const logger = { error: (details: object) => void logged.push(details) }
  const app = createRouter()
  app.onError(errorHandler({ logger }))
  app.notFound(routeNotFound)
  app.use('*', cors())
  // `?owner=` memberships are recorded here; the real OwnerStore is tested in http-owners-gc.test.ts
  const owned: { did: string; size: number }[] = []
  const owners = {
    add: async (did: string, blob: { size: number }) => Boolean(owned.push({ did, size: blob.size })),
  }
  app.route('/', carImportRoutes({ cars, owners, authToken: () => TOKEN, maxSize, publicUrl: PUBLIC }))
  app.route('/', carExportRoutes({ cars, logger }))
  app.route('/', blockReadRoutes({ cars }))
  return {
    app,
    cars,
    owned,
    blobs,
    blobsBackend,
    logged,
    /** Every key of the three stores (staging objects included). */
    async keys() {
      return {
        blobs: await listKeys(blobsBackend),
        index: await listKeys(indexBackend),
        records: await listKeys(recordsBackend),
      }
    },
  }
}

/** `POST /car` of `body` with the bearer token and `headers`. */
export function postCar(
  app: ReturnType<typeof carApp>['app'],
  body: Uint8Array | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
) {
  const init: RequestInit & { duplex?: 'half' } = {
    method: 'POST',
    headers: { ...bearer, 'content-type': 'application/vnd.ipld.car', ...headers },
    body,
  }
  if (body instanceof ReadableStream) init.duplex = 'half'
  return app.request('/car', init)
}

/** `Content-Digest: sha-256=:<base64>:` of `bytes`. */
export function contentDigest(bytes: Uint8Array): string {
  return `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`
}

/** `bytes` as a body with no length (sent chunked). */
export function chunked(bytes: Uint8Array, size = 1000): ReadableStream<Uint8Array> {
  let at = 0
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close()
      controller.enqueue(bytes.slice(at, at + size))
      at += size
    },
  })
}

/** Expects a JSON error answer `{ error: { name, message } }`; answers the message. */
export async function expectError(res: Response, status: number, name: string, message?: RegExp) {
  const text = await res.text()
  expect(res.status, text).toBe(status)
  const json = JSON.parse(text) as { error: { name: string; message: string } }
  expect(json.error.name).toBe(name)
  if (message !== undefined) expect(json.error.message).toMatch(message)
  return json.error.message
}
