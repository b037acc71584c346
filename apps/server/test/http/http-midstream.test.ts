import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { VerifiedBlobStore } from '@strata/blobstore'
import { digestOf } from '@strata/blobstore/testing'
import type { GetOptions, ObjectResult } from '@strata/objectstore'
import { UnavailableError } from '@strata/objectstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { Hono } from 'hono'
import { base58btc } from 'multiformats/bases/base58'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobReadRoutes, blobSocketReads, errorHandler } from '../../src/http/index.js'

/** A memory store whose bodies fail after their first chunk, as an S3 connection dropping mid-read. */
class FailingStore extends MemoryObjectStore {
  override async get(key: string, options?: GetOptions): Promise<ObjectResult> {
    const result = await super.get(key, options)
    const { body } = result
    const failing = (async function* () {
      for await (const chunk of body) yield chunk.subarray(0, 10)
      throw new UnavailableError('minio', 'socket hang up at 10.9.8.7')
    })()
    return { ...result, body: failing }
  }
}

const bytes = new Uint8Array(1000).fill(42)
const path = `/blob/${base58btc.encode(digestOf(bytes).bytes)}`
describe.each(['hono route', 'socket fast path'] as const)('%s', (transport) => {
  let server: Server
  let port: number
  const logged: unknown[] = []

  beforeAll(async () => {
    const backend = new FailingStore()
    const blobs = new VerifiedBlobStore({ backend })
    await blobs.put(digestOf(bytes), bytes.length, bytes)
    const app = new Hono()
    app.route('/', blobReadRoutes({ blobs }))
    app.onError(errorHandler())
    const listener = getRequestListener(app.fetch)
    const logger = { error: (details: object) => void logged.push(details) }
    const fast = blobSocketReads({ blobs, record: () => {}, logger })
    server = createServer((req, res) => {
      if (transport === 'hono route' || !fast(req, res)) void listener(req, res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))

  it('a backend failing mid-stream never passes a short body off as whole, nor leaks the error text', async () => {
    const outcome = await new Promise<{ status: number; received: Buffer; aborted: boolean }>(
      (resolve, reject) => {
        const req = httpRequest({ port, path, agent: false }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          const done = (aborted: boolean) =>
            resolve({ status: res.statusCode ?? 0, received: Buffer.concat(chunks), aborted })
          res.on('end', () => done(false))
          res.on('error', () => done(true))
          res.on('aborted', () => done(true))
        })
        req.on('error', reject)
        req.end()
      },
    )
    expect(outcome.received.toString()).not.toContain('10.9.8.7')
    expect(outcome.status).toBe(200)
    expect(outcome.aborted).toBe(true)
    expect(outcome.received.length).toBeLessThan(bytes.length)
    if (transport === 'socket fast path') expect(logged).toHaveLength(1)
  })
})

/** A store whose bodies fail before their first byte, as an S3 connection dropped at once. */
class EarlyFailingStore extends MemoryObjectStore {
  override async get(key: string, options?: GetOptions): Promise<ObjectResult> {
    const result = await super.get(key, options)
    const early: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.reject(new UnavailableError('minio', 'socket hang up at 10.9.8.7')),
      }),
    }
    return { ...result, body: early }
  }
}

it('the socket fast path answers 503 for a body failing before its first byte (no status line sent yet)', async () => {
  const backend = new EarlyFailingStore()
  const blobs = new VerifiedBlobStore({ backend })
  await blobs.put(digestOf(bytes), bytes.length, bytes)
  const logged: unknown[] = []
  const fast = blobSocketReads({
    blobs,
    record: () => {},
    logger: { error: (details) => void logged.push(details) },
  })
  const server = createServer((req, res) => void fast(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`)
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).not.toBeNull()
    const text = await res.text()
    expect(JSON.parse(text)).toMatchObject({ error: { name: 'UnavailableError' } })
    expect(text).not.toContain('10.9.8.7')
    expect(logged).toHaveLength(1)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})
