import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VerifiedBlobStore } from '@strata/blobstore'
import { digestOf } from '@strata/blobstore/testing'
import type { GetOptions, ObjectResult, ObjectStore } from '@strata/objectstore'
import { UnavailableError } from '@strata/objectstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { Hono } from 'hono'
import { base32 } from 'multiformats/bases/base32'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobReadRoutes, errorHandler, routeNotFound } from '../../src/http/index.js'

/** Counts the bodies a backend hands out and how many were released (iterated to the end or returned). */
class CountingStore implements ObjectStore {
  opened = 0
  released = 0
  failGet: Error | undefined
  constructor(readonly inner: ObjectStore) {}
  open() {
    return this.inner.open()
  }
  close() {
    return this.inner.close()
  }
  put(...args: Parameters<ObjectStore['put']>) {
    return this.inner.put(...args)
  }
  has(...args: Parameters<ObjectStore['has']>) {
    return this.inner.has(...args)
  }
  stat(...args: Parameters<ObjectStore['stat']>) {
    return this.inner.stat(...args)
  }
  move(...args: Parameters<ObjectStore['move']>) {
    return this.inner.move(...args)
  }
  delete(...args: Parameters<ObjectStore['delete']>) {
    return this.inner.delete(...args)
  }
  list(...args: Parameters<ObjectStore['list']>) {
    return this.inner.list(...args)
  }
  async get(key: string, options?: GetOptions): Promise<ObjectResult> {
    if (this.failGet !== undefined) throw this.failGet
    const result = await this.inner.get(key, options)
    const { body } = result
    this.opened++
    // Bytes in one piece: the body holds nothing (the contract), whether it is read or not.
    if (result.bytes !== undefined) {
      this.released++
      return result
    }
    const wrapped = async function* (this: CountingStore) {
      try {
        yield* body
      } finally {
        this.released++
      }
    }.call(this)
    return { ...result, body: wrapped }
  }
}

/** Splits a multipart/byteranges body into its parts (headers lower-cased). */
function parseMultipart(
  body: Buffer,
  boundary: string,
): Array<{ headers: Record<string, string>; data: Buffer }> {
  const delimiter = Buffer.from(`--${boundary}`)
  const parts: Array<{ headers: Record<string, string>; data: Buffer }> = []
  expect(body.subarray(0, delimiter.length).equals(delimiter)).toBe(true)
  let position = delimiter.length
  for (;;) {
    const after = body.subarray(position, position + 2).toString()
    if (after === '--') {
      expect(body.subarray(position + 2).toString()).toBe('\r\n')
      return parts
    }
    expect(after).toBe('\r\n')
    const headerEnd = body.indexOf('\r\n\r\n', position)
    const headers: Record<string, string> = {}
    for (const line of body
      .subarray(position + 2, headerEnd)
      .toString()
      .split('\r\n')) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4)
    expect(next).toBeGreaterThan(-1)
    parts.push({ headers, data: body.subarray(headerEnd + 4, next) })
    position = next + 2 + delimiter.length
  }
}

const SIZE = 1000
const bytes = new Uint8Array(SIZE).map((_, index) => (index * 7 + 3) % 256)
const digest = digestOf(bytes)
const z = base58btc.encode(digest.bytes)
const etag = `"${z}"`

const backends: Array<[string, () => Promise<{ store: ObjectStore; cleanup: () => Promise<void> }>]> = [
  ['memory', async () => ({ store: new MemoryObjectStore(), cleanup: async () => {} })],
  [
    'flatfs',
    async () => {
      const path = await mkdtemp(join(tmpdir(), 'strata-http-'))
      const store = new FlatfsObjectStore({ path, readChunkSize: 64 })
      return { store, cleanup: () => rm(path, { recursive: true, force: true }) }
    },
  ],
]

describe.each(backends)('GET/HEAD /blob/:digest on %s', (_name, make) => {
  let backend: CountingStore
  let cleanup: () => Promise<void>
  let app: Hono
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    app.request(path, { method, headers })
  const bodyOf = async (response: Response) => Buffer.from(await response.arrayBuffer())

  beforeAll(async () => {
    const made = await make()
    cleanup = made.cleanup
    backend = new CountingStore(made.store)
    await backend.open()
    const blobs = new VerifiedBlobStore({ backend })
    await blobs.put(digest, SIZE, bytes)
    await blobs.put(digestOf(new Uint8Array(0)), 0, new Uint8Array(0))
    app = new Hono()
    app.route('/', blobReadRoutes({ blobs }))
    app.onError(errorHandler())
    app.notFound(routeNotFound)
  })
  afterAll(async () => {
    // Every body the routes opened was released, whatever the path (HEAD, 304, 416, ranges...).
    expect(backend.released).toBe(backend.opened)
    await backend.close()
    await cleanup()
  })

  it('GET answers the whole blob with the immutable caching headers', async () => {
    const response = await get(`/blob/${z}`)
    expect(response.status).toBe(200)
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'accept-ranges': 'bytes',
      etag,
      'cache-control': 'public, max-age=29030400, immutable',
      'content-type': 'application/octet-stream',
      'content-length': String(SIZE),
    })
    expect((await bodyOf(response)).equals(bytes)).toBe(true)
  })

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=10-', 10, SIZE - 1],
    ['bytes=-5', SIZE - 5, SIZE - 1],
    ['bytes=990-5000', 990, SIZE - 1],
    ['bytes=-5000', 0, SIZE - 1],
    ['BYTES=3-4', 3, 4],
    ['bytes=0-0,1-1', 0, 1],
  ])('%s → 206 %i-%i', async (range, start, end) => {
    const response = await get(`/blob/${z}`, { range })
    expect(response.status).toBe(206)
    expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${SIZE}`)
    expect(response.headers.get('content-length')).toBe(String(end - start + 1))
    expect(response.headers.get('etag')).toBe(etag)
    expect((await bodyOf(response)).equals(bytes.subarray(start, end + 1))).toBe(true)
  })

  it('bytes=0-0,5-9,-3 → 206 multipart/byteranges with exact length and parseable parts', async () => {
    const response = await get(`/blob/${z}`, { range: 'bytes=0-0,5-9,-3' })
    expect(response.status).toBe(206)
    const type = response.headers.get('content-type') ?? ''
    const boundary = /^multipart\/byteranges; boundary=([0-9a-f]{32})$/.exec(type)?.[1]
    expect(boundary).toBeDefined()
    const body = await bodyOf(response)
    expect(response.headers.get('content-length')).toBe(String(body.length))
    const parts = parseMultipart(body, boundary ?? '')
    const expected = [
      [0, 0],
      [5, 9],
      [SIZE - 3, SIZE - 1],
    ]
    expect(parts).toHaveLength(3)
    parts.forEach((part, index) => {
      const [start = 0, end = 0] = expected[index] ?? []
      expect(part.headers).toEqual({
        'content-type': 'application/octet-stream',
        'content-range': `bytes ${start}-${end}/${SIZE}`,
      })
      expect(part.data.equals(bytes.subarray(start, end + 1))).toBe(true)
    })
  })

  it.each(['bytes=99999-', `bytes=${SIZE}-${SIZE + 5}`, 'bytes=-0', 'bytes=5000-6000,7000-'])(
    '%s → 416 with Content-Range: bytes */size and a JSON body',
    async (range) => {
      const response = await get(`/blob/${z}`, { range })
      expect(response.status).toBe(416)
      expect(response.headers.get('content-range')).toBe(`bytes */${SIZE}`)
      expect(await response.json()).toMatchObject({ error: { name: 'RangeNotSatisfiableError' } })
    },
  )

  const tooMany = `bytes=${Array.from({ length: 65 }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`
  it.each(['bytes=abc', 'items=0-1', 'bytes=5-2', 'bytes=0-1,x', 'bytes', 'bytes=', 'bytes=-', tooMany])(
    'ignored Range %s → 200 full',
    async (range) => {
      const response = await get(`/blob/${z}`, { range })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-range')).toBeNull()
      expect((await bodyOf(response)).equals(bytes)).toBe(true)
    },
  )

  it('overlapping ranges are merged: bytes=0-,0-,0- sends each byte once', async () => {
    const response = await get(`/blob/${z}`, { range: 'bytes=0-,0-,0-' })
    expect([response.status, response.headers.get('content-range')]).toEqual([
      206,
      `bytes 0-${SIZE - 1}/${SIZE}`,
    ])
    expect((await bodyOf(response)).length).toBe(SIZE)
  })

  it('empty blob: full GET, 416 for int ranges, 200 for a suffix', async () => {
    const empty = base58btc.encode(digestOf(new Uint8Array(0)).bytes)
    const full = await get(`/blob/${empty}`)
    expect([full.status, full.headers.get('content-length'), (await bodyOf(full)).length]).toEqual([
      200,
      '0',
      0,
    ])
    const int = await get(`/blob/${empty}`, { range: 'bytes=0-' })
    expect([int.status, int.headers.get('content-range')]).toEqual([416, 'bytes */0'])
    await int.arrayBuffer()
    const suffix = await get(`/blob/${empty}`, { range: 'bytes=-5' })
    expect([suffix.status, (await bodyOf(suffix)).length]).toEqual([200, 0])
  })

  it('If-None-Match: match (also weak, lists, *) → 304 without body; mismatch → 200', async () => {
    for (const value of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await get(`/blob/${z}`, { 'if-none-match': value, range: 'bytes=0-1' })
      expect(response.status).toBe(304)
      expect(response.headers.get('etag')).toBe(etag)
      expect(response.headers.get('cache-control')).toBe('public, max-age=29030400, immutable')
      expect((await bodyOf(response)).length).toBe(0)
    }
    const miss = await get(`/blob/${z}`, { 'if-none-match': '"zQmOther"' })
    expect(miss.status).toBe(200)
    expect((await bodyOf(miss)).equals(bytes)).toBe(true)
  })

  it('If-Match: failing → 412, matching → 200', async () => {
    const fail = await get(`/blob/${z}`, { 'if-match': '"zQmOther"' })
    expect(fail.status).toBe(412)
    expect(await fail.json()).toMatchObject({ error: { name: 'PreconditionFailed' } })
    const pass = await get(`/blob/${z}`, { 'if-match': etag })
    expect([pass.status, (await bodyOf(pass)).length]).toEqual([200, SIZE])
  })

  it('If-Range: our ETag → 206; another tag, a weak tag or a date → 200 full', async () => {
    const hit = await get(`/blob/${z}`, { range: 'bytes=0-9', 'if-range': etag })
    expect([hit.status, (await bodyOf(hit)).length]).toEqual([206, 10])
    for (const value of ['"zQmOther"', `W/${etag}`, 'Wed, 21 Oct 2015 07:28:00 GMT']) {
      const miss = await get(`/blob/${z}`, { range: 'bytes=0-9', 'if-range': value })
      expect([miss.status, (await bodyOf(miss)).length]).toEqual([200, SIZE])
    }
  })

  it('HEAD answers the GET headers without a body, with and without Range', async () => {
    const full = await get(`/blob/${z}`, {}, 'HEAD')
    expect([full.status, full.headers.get('content-length'), full.headers.get('etag')]).toEqual([
      200,
      String(SIZE),
      etag,
    ])
    expect(full.body).toBeNull()
    const part = await get(`/blob/${z}`, { range: 'bytes=10-19' }, 'HEAD')
    expect([part.status, part.headers.get('content-range'), part.headers.get('content-length')]).toEqual([
      206,
      `bytes 10-19/${SIZE}`,
      '10',
    ])
    const multi = await get(`/blob/${z}`, { range: 'bytes=0-0,10-19' }, 'HEAD')
    expect(multi.status).toBe(206)
    expect(multi.headers.get('content-type')).toMatch(/^multipart\/byteranges; boundary=/)
    const unsatisfiable = await get(`/blob/${z}`, { range: 'bytes=5000-' }, 'HEAD')
    expect([unsatisfiable.status, unsatisfiable.headers.get('content-range')]).toEqual([
      416,
      `bytes */${SIZE}`,
    ])
  })

  it('accepts the digest as base58btc, base32, base16, base64url, CIDv1 (raw, dag-pb) and CIDv0', async () => {
    const forms = [
      z,
      base32.encode(digest.bytes),
      `f${Buffer.from(digest.bytes).toString('hex')}`,
      `u${Buffer.from(digest.bytes).toString('base64url')}`,
      CID.createV1(0x55, digest).toString(),
      CID.createV1(0x70, digest).toString(base58btc),
      CID.createV0(digest as Parameters<typeof CID.createV0>[0]).toString(),
    ]
    for (const form of forms) {
      const response = await get(`/blob/${form}`, { range: 'bytes=0-3' })
      expect(response.status, form).toBe(206)
      expect(response.headers.get('etag')).toBe(etag)
      expect((await bodyOf(response)).equals(bytes.subarray(0, 4))).toBe(true)
    }
  })

  it('unknown digest → 404 JSON; GET, HEAD and ranged alike', async () => {
    const other = base58btc.encode(digestOf(new Uint8Array([1, 2, 3])).bytes)
    for (const [headers, method] of [
      [{}, 'GET'],
      [{ range: 'bytes=0-1' }, 'GET'],
      [{}, 'HEAD'],
    ] as const) {
      const response = await get(`/blob/${other}`, headers, method)
      expect(response.status).toBe(404)
      expect(response.headers.get('cache-control')).toBe('no-store')
      if (method === 'GET') {
        expect(await response.json()).toEqual({
          error: { name: 'NotFoundError', message: `blob ${other} not found` },
        })
      }
    }
  })

  it('a hash function the store cannot verify is still readable (404 when not stored)', async () => {
    const blake3 = base58btc.encode(createDigest(0x1e, new Uint8Array(32).fill(7)).bytes)
    const response = await get(`/blob/${blake3}`)
    expect(response.status).toBe(404)
  })

  it.each([
    ['not multibase', 'hello.world'],
    ['unknown prefix', 'xabc'],
    ['bad base58', 'z0OIl'],
    ['percent-encoded dot-dot', '..%2f..%2fetc%2fpasswd'],
    ['NUL', 'z%00'],
    ['very long', `z${'1'.repeat(5000)}`],
    ['not a multihash', 'zabc'],
    ['truncated sha2-256', base58btc.encode(digest.bytes.subarray(0, 20))],
    ['wrong length for sha2-256', base58btc.encode(createDigest(0x12, new Uint8Array(31)).bytes)],
    ['broken CID', `b${base32.baseEncode(new Uint8Array([1, 0x55, 0x12]))}`],
    ['emoji base', encodeURIComponent('🚀🚀')],
  ])('malformed digest (%s) → 400 JSON', async (_why, text) => {
    const response = await get(`/blob/${text}`)
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { name: string; message: string } }
    expect(body.error.name).toBe('InvalidDigestError')
    expect(body.error.message).not.toMatch(/\n\s+at /)
  })

  it('dot-segments never reach the blob routes (the URL is normalised first)', async () => {
    for (const path of ['/blob/..', '/blob/%2e%2e', '/blob/%2E%2E/etc']) {
      const response = await get(path)
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ error: { name: 'RouteNotFound' } })
    }
  })

  it('a backend outage answers 503 JSON with a generic message, never the backend detail', async () => {
    backend.failGet = new UnavailableError('minio', 'connect ECONNREFUSED 10.1.2.3:9000')
    try {
      for (const headers of [{}, { range: 'bytes=0-1' }]) {
        const response = await get(`/blob/${z}`, headers)
        expect(response.status).toBe(503)
        expect(response.headers.get('retry-after')).toBe('5')
        const text = await response.text()
        expect(JSON.parse(text)).toEqual({
          error: { name: 'UnavailableError', message: 'the storage backend is unavailable; retry later' },
        })
        expect(text).not.toContain('10.1.2.3')
      }
      backend.failGet = new TypeError('boom at /secret/path')
      const response = await get(`/blob/${z}`)
      expect(response.status).toBe(500)
      expect(await response.json()).toEqual({
        error: { name: 'InternalError', message: 'internal server error' },
      })
    } finally {
      backend.failGet = undefined
    }
  })
})
