import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import { VerifiedBlobStore } from '@strata/blobstore'
import type { GetOptions, ObjectResult } from '@strata/objectstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { patternStream, peakMemoryGrowth } from '@strata/objectstore/testing'
import { Hono } from 'hono'
import { base58btc } from 'multiformats/bases/base58'
import { create as createDigest } from 'multiformats/hashes/digest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobReadRoutes, blobSocketReads, errorHandler, routeNotFound } from '../../src/http/index.js'

const MiB = 1024 * 1024
const SIZE = 64 * MiB

/** A flatfs store that records every body it hands out: the bytes it yielded, its signal, whether it was released. */
class RecordingStore extends FlatfsObjectStore {
  readonly reads: Array<{ bytes: number; signal: AbortSignal | undefined; released: boolean }> = []
  override async get(key: string, options: GetOptions = {}): Promise<ObjectResult> {
    const result = await super.get(key, options)
    const { body } = result
    const read = { bytes: 0, signal: options.signal, released: false }
    this.reads.push(read)
    const wrapped = (async function* () {
      try {
        for await (const chunk of body) {
          read.bytes += chunk.byteLength
          yield chunk
        }
      } finally {
        read.released = true
      }
    })()
    // Its bytes are what the wrapped body yields: no `bytes` in one piece beside it.
    const { bytes: _inHand, ...streamed } = result
    return { ...streamed, body: wrapped }
  }
}

/** The two ways the server sends blob reads: the hono route, and the socket fast path in front of it. */
const TRANSPORTS = ['hono route', 'socket fast path'] as const

function listen(
  transport: (typeof TRANSPORTS)[number],
  blobs: VerifiedBlobStore,
): Promise<{ server: Server; port: number }> {
  const app = new Hono()
  app.route('/', blobReadRoutes({ blobs }))
  app.onError(errorHandler())
  app.notFound(routeNotFound)
  const listener = getRequestListener(app.fetch)
  const fast = blobSocketReads({ blobs, record: () => {} })
  const server = createServer((req, res) => {
    if (transport === 'hono route' || !fast(req, res)) void listener(req, res)
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }))
  })
}

interface RawResponse {
  status: number
  /** Header names as sent, lower-cased, with their values. */
  headers: Record<string, string>
  body: Buffer
}

/** One request over a fresh connection through `node:http`, the answer read whole. */
function raw(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const sent: Record<string, string> = {}
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          sent[(res.rawHeaders[i] ?? '').toLowerCase()] = res.rawHeaders[i + 1] ?? ''
        }
        resolve({ status: res.statusCode ?? 0, headers: sent, body: Buffer.concat(chunks) })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Opens a GET and answers the response as soon as its headers arrive. */
function open(port: number, path: string): Promise<{ res: IncomingMessage; destroy: () => void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, path, agent: false }, (res) =>
      resolve({ res, destroy: () => req.destroy() }),
    )
    req.on('error', reject)
    req.end()
  })
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for condition')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe.each(TRANSPORTS)('the read routes on a listening server (flatfs, %s)', (transport) => {
  let dir: string
  let store: RecordingStore
  let server: Server
  let port: number
  let path: string
  let hex: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-http-server-'))
    store = new RecordingStore({ path: dir })
    await store.open()
    const blobs = new VerifiedBlobStore({ backend: store })
    const pattern = patternStream(SIZE)
    hex = pattern.sha256()
    const digest = createDigest(0x12, Buffer.from(hex, 'hex'))
    await blobs.put(digest, SIZE, pattern.stream())
    path = `/blob/${base58btc.encode(digest.bytes)}`
    ;({ server, port } = await listen(transport, blobs))
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('streams a 64 MiB blob with bounded memory', async () => {
    let received = 0
    let digest = ''
    const growth = await peakMemoryGrowth(async () => {
      const { res } = await open(port, path)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-length']).toBe(String(SIZE))
      const hash = createHash('sha256')
      let sinceGc = 0
      for await (const chunk of res as AsyncIterable<Buffer>) {
        hash.update(chunk)
        received += chunk.length
        sinceGc += chunk.length
        if (sinceGc >= 4 * MiB) {
          ;(globalThis as { gc?: () => void }).gc?.()
          sinceGc = 0
        }
      }
      digest = hash.digest('hex')
    })
    expect(received).toBe(SIZE)
    expect(digest).toBe(hex)
    expect(growth).toBeLessThan(32 * MiB)
    await until(() => store.reads.every((read) => read.released))
  })

  it('a client that disconnects mid-download releases the backend stream and aborts its signal', async () => {
    const before = store.reads.length
    const { res, destroy } = await open(port, path)
    expect(res.statusCode).toBe(200)
    let got = 0
    for await (const chunk of res as AsyncIterable<Buffer>) {
      got += chunk.length
      if (got >= 2 * MiB) break
    }
    destroy()
    const read = store.reads[before]
    if (read === undefined) throw new Error('the backend was not read')
    await until(() => read.released)
    expect(read.signal?.aborted).toBe(true)
    // The backend stopped reading well before the end of the blob.
    expect(read.bytes).toBeLessThan(SIZE / 2)
  })

  it('answers exact headers on the wire: 200, 206, multipart, 416, 304, HEAD', async () => {
    const etag = `"${path.slice('/blob/'.length)}"`
    const common = {
      'accept-ranges': 'bytes',
      etag,
      'cache-control': 'public, max-age=29030400, immutable',
    }
    const head = await raw(port, path, {}, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers).toMatchObject({ ...common, 'content-length': String(SIZE) })
    expect(head.headers['transfer-encoding']).toBeUndefined()
    expect(head.body.length).toBe(0)

    const part = await raw(port, path, { range: 'bytes=100-199' })
    expect(part.status).toBe(206)
    expect(part.headers).toMatchObject({
      ...common,
      'content-type': 'application/octet-stream',
      'content-length': '100',
      'content-range': `bytes 100-199/${SIZE}`,
    })
    expect(part.headers['transfer-encoding']).toBeUndefined()
    expect(part.body.length).toBe(100)

    const suffix = await raw(port, path, { range: 'bytes=-10' })
    expect([suffix.status, suffix.headers['content-range'], suffix.body.length]).toEqual([
      206,
      `bytes ${SIZE - 10}-${SIZE - 1}/${SIZE}`,
      10,
    ])

    const multi = await raw(port, path, { range: 'bytes=0-9,-10' })
    expect(multi.status).toBe(206)
    expect(multi.headers['content-type']).toMatch(/^multipart\/byteranges; boundary=[0-9a-f]{32}$/)
    expect(multi.headers['content-length']).toBe(String(multi.body.length))
    expect(multi.body.toString('latin1')).toContain(
      `Content-Range: bytes ${SIZE - 10}-${SIZE - 1}/${SIZE}\r\n\r\n`,
    )

    const unsatisfiable = await raw(port, path, { range: `bytes=${SIZE}-` })
    expect(unsatisfiable.status).toBe(416)
    expect(unsatisfiable.headers).toMatchObject({
      'content-range': `bytes */${SIZE}`,
      'content-type': 'application/json; charset=utf-8',
    })
    expect(JSON.parse(unsatisfiable.body.toString())).toMatchObject({
      error: { name: 'RangeNotSatisfiableError' },
    })

    const notModified = await raw(port, path, { 'if-none-match': etag })
    expect(notModified.status).toBe(304)
    expect(notModified.headers).toMatchObject(common)
    expect(notModified.body.length).toBe(0)

    const malformed = await raw(port, '/blob/%2e%2e%2f%2e%2e%2fetc%2fpasswd')
    expect(malformed.status).toBe(400)
    expect(JSON.parse(malformed.body.toString())).toMatchObject({ error: { name: 'InvalidDigestError' } })

    await until(() => store.reads.every((read) => read.released))
  })
})
