import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { VerifiedBlobStore } from '@strata/blobstore'
import { digestOf } from '@strata/blobstore/testing'
import type { GetOptions, ObjectResult } from '@strata/objectstore'
import { UnavailableError } from '@strata/objectstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { Hono } from 'hono'
import { base58btc } from 'multiformats/bases/base58'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { blobReadRoutes, errorHandler } from '../../src/http/index.js'

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
let server: ReturnType<typeof serve>
let port: number

beforeAll(async () => {
  const backend = new FailingStore()
  await new VerifiedBlobStore({ backend }).put(digestOf(bytes), bytes.length, bytes)
  const app = new Hono()
  app.route('/', blobReadRoutes({ blobs: new VerifiedBlobStore({ backend }) }))
  app.onError(errorHandler())
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      port = info.port
      resolve()
    })
  })
})
afterAll(() => new Promise((resolve) => server.close(resolve)))

it('a backend failing mid-stream drops the connection: the client sees a truncated body, no error text', async () => {
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
  expect(outcome.status).toBe(200)
  expect(outcome.aborted).toBe(true)
  expect(outcome.received.length).toBeLessThan(bytes.length)
  expect(outcome.received.toString()).not.toContain('10.9.8.7')
})
