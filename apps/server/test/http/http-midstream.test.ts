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
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
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
    if (transport === 'hono route') {
      expect(outcome.status).toBe(200)
      expect(outcome.aborted).toBe(true)
      expect(outcome.received.length).toBeLessThan(bytes.length)
    } else {
      // No byte went out before the failure (the status line goes with the first chunk): a 503.
      expect(outcome.status).toBe(503)
      expect(JSON.parse(outcome.received.toString())).toMatchObject({ error: { name: 'UnavailableError' } })
    }
  })
})

/** A store whose bodies fail after their second chunk: some bytes have gone out before the failure. */
class LateFailingStore extends MemoryObjectStore {
  override async get(key: string, options?: GetOptions): Promise<ObjectResult> {
    const result = await super.get(key, options)
    const late = (async function* () {
      yield new Uint8Array(10).fill(1)
      yield new Uint8Array(10).fill(2)
      throw new UnavailableError('minio', 'socket hang up at 10.9.8.7')
    })()
    return { ...result, body: late }
  }
}

it('the socket fast path cuts the connection when the body fails after bytes went out, and logs it', async () => {
  const backend = new LateFailingStore()
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
    const outcome = await new Promise<{ status: number; received: number; aborted: boolean }>(
      (resolve, reject) => {
        const req = httpRequest({ port, path, agent: false }, (res) => {
          let received = 0
          res.on('data', (chunk: Buffer) => {
            received += chunk.length
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, received, aborted: false }))
          res.on('aborted', () => resolve({ status: res.statusCode ?? 0, received, aborted: true }))
          res.on('error', () => resolve({ status: res.statusCode ?? 0, received, aborted: true }))
        })
        req.on('error', reject)
        req.end()
      },
    )
    expect(outcome).toMatchObject({ status: 200, aborted: true })
    expect(outcome.received).toBeLessThan(bytes.length)
    await vi.waitFor(() => expect(logged).toHaveLength(1))
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})
