import { mkdtemp, rm } from 'node:fs/promises'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type ServerType, serve } from '@hono/node-server'
import { patternStream, peakMemoryGrowth, sha256Of } from '@strata/objectstore/testing'
import { ed25519 } from '@ucanto/principal'
import { base58btc } from 'multiformats/bases/base58'
import { create as createDigest } from 'multiformats/hashes/digest'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type StrataApp } from '../../src/app.js'
import { configSchema } from '../../src/config/index.js'
import { createContainer, type StrataContainer } from '../../src/container/index.js'
import { allocate } from '../helpers/e2e-helpers.js'

const MiB = 1024 * 1024
const SIZE = 64 * MiB
const TOKEN = 'write-server-test-token'

/** Sends a request, the body streamed from `body`; answers the response, read as text. */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: AsyncIterable<Uint8Array> | string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res: IncomingMessage) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (body === undefined || typeof body === 'string') req.end(body)
    else pipeline(Readable.from(body), req).catch(reject)
  })
}

describe('write path on a listening server (filesystem)', () => {
  let dir: string
  let container: StrataContainer
  let server: ServerType
  let base = ''

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-write-server-'))
    const config = configSchema.parse({
      storage: { backend: 'filesystem', dataDir: dir },
      server: { authToken: TOKEN },
      log: { level: 'silent' },
    })
    container = await (async () => {
      const made = createContainer(config, { logger: pino({ level: 'silent' }) })
      await made.start()
      return made
    })()
    let app: StrataApp['app'] | undefined
    await new Promise<void>((resolve) => {
      server = serve(
        { fetch: (req) => (app as StrataApp['app']).fetch(req), port: 0, hostname: '127.0.0.1' },
        (info: AddressInfo) => {
          base = `http://127.0.0.1:${info.port}`
          resolve()
        },
      )
    })
    app = createApp({ container, publicUrl: base }).app
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    await container.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('allocates, uploads 64 MiB through the presigned URL with bounded memory, reads it back', async () => {
    const pattern = patternStream(SIZE)
    const digest = createDigest(0x12, Buffer.from(pattern.sha256(), 'hex'))
    const z = base58btc.encode(digest.bytes)
    const space = (await ed25519.generate()).did()
    const allocated = await allocate(base, TOKEN, space, z, SIZE)
    expect(allocated.status).toBe(201)
    const { url, headers } = allocated.allocation as { url: string; headers: Record<string, string> }
    expect(url.startsWith(`${base}/blob/${z}?`)).toBe(true)

    let uploaded = { status: 0, text: '' }
    const growth = await peakMemoryGrowth(async () => {
      uploaded = await send(url, 'PUT', headers, pattern.stream())
    })
    expect(uploaded).toEqual({ status: 201, text: '' })
    expect(growth).toBeLessThan(32 * MiB)
    expect(await container.cradle.blobs.has(digest)).toBe(true)

    const again = await send(url, 'PUT', headers, pattern.stream())
    expect(again.status).toBe(200)

    const res = await fetch(`${base}/blob/${z}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(SIZE))
    const read = await sha256Of(res.body as unknown as AsyncIterable<Uint8Array>)
    expect(read).toEqual({ hex: pattern.sha256(), bytes: SIZE })
  })

  it('refuses a wrong body over the wire (409) and stores nothing', async () => {
    const pattern = patternStream(4 * MiB)
    const digest = createDigest(0x12, Buffer.from(pattern.sha256(), 'hex'))
    const z = base58btc.encode(digest.bytes)
    const space = (await ed25519.generate()).did()
    const { allocation } = await allocate(base, TOKEN, space, z, 4 * MiB)
    const { url, headers } = allocation as { url: string; headers: Record<string, string> }
    const other = patternStream(4 * MiB)
    const res = await send(url, 'PUT', headers, other.stream())
    expect(res.status).toBe(409)
    expect(JSON.parse(res.text).error.name).toBe('DigestMismatchError')
    expect(await container.cradle.blobs.has(digest)).toBe(false)
  })
})
