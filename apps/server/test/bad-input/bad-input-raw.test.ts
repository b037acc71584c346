/**
 * The bad-input battery over raw TCP against a real listening server (`startServer`, port 0):
 * path traversal in every path parameter (sent as raw bytes: fetch/undici would normalise them),
 * oversized headers, short and long bodies, and malformed `Content-Length` framing. A file planted
 * beside the data dir must never be served nor changed; nothing may be stored.
 *
 * Node's own HTTP parser (llhttp) refuses framing errors before the app sees the request; the
 * server answers them (`answerClientErrors`) with `400 BadRequest` / `431 HeadersTooLarge`, the
 * JSON error body and `Connection: close`.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checksumOf, presignUpload } from '../../src/http/index.js'
import { createSigner } from '../../src/identity/index.js'
import type { RunningServer } from '../../src/server.js'
import {
  blobFilesOf,
  eventually,
  type RawAnswer,
  rawExchange,
  SERVER_MAX,
  SERVER_TOKEN,
  startTestServer,
} from '../helpers/bad-input-helpers.js'
import { BACKENDS, z } from '../helpers/http-write-fixtures.js'

const SECRET = 'TOP-SECRET-planted-beside-the-data-dir'
const BYTES = Buffer.from('the bytes of the raw upload tests')
const DIGEST = await sha256.digest(BYTES)
const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

/**
 * Raw request targets → what answers. Requests Node's parser refuses get the server's JSON body
 * (`answerClientErrors`), and so do those the @hono/node-server adapter refuses; `null` name: HEAD (no body).
 */
const TRAVERSALS: ReadonlyArray<[method: string, target: string, status: number, name: string | null]> = [
  ['GET', '/blob/../secret.txt', 404, 'RouteNotFound'], // dot-segments removed: /secret.txt
  ['GET', '/blob/../../secret.txt', 404, 'RouteNotFound'],
  ['GET', '/blob/%2e%2e/secret.txt', 404, 'RouteNotFound'], // %2e%2e is a dot-segment too
  ['GET', '/blob/%2E%2E', 404, 'RouteNotFound'],
  ['GET', '/blob/..%2f..%2fsecret.txt', 400, 'InvalidDigestError'], // one segment, decoded: ../../secret.txt
  ['GET', '/blob/%2e%2e%2f%2e%2e%2fsecret.txt', 400, 'InvalidDigestError'],
  ['GET', '/blob/%2F..%2Fdata%2Fauth-token', 400, 'InvalidDigestError'],
  ['GET', '/blob/..%5c..%5csecret.txt', 400, 'InvalidDigestError'], // encoded backslashes
  ['GET', '/blob/..\\..\\secret.txt', 400, 'BadRequest'], // raw backslash: refused by @hono/node-server
  ['GET', '/blob/z%00', 400, 'InvalidDigestError'],
  ['GET', '/blob/%00', 400, 'InvalidDigestError'],
  ['GET', `/blob/${z(DIGEST)}%00.data`, 400, 'InvalidDigestError'],
  ['GET', `/blob/${z(DIGEST)}%2f..%2f..%2fsecret.txt`, 400, 'InvalidDigestError'],
  ['GET', '/blob/z\0', 400, 'BadRequest'], // a raw NUL: Node's parser refuses the request line
  ['HEAD', '/blob/..%2fsecret.txt', 400, null], // HEAD: same status, no body
  ['GET', '/claim/../secret.txt', 404, 'RouteNotFound'],
  ['GET', '/claim/..%2f..%2fsecret.txt', 400, 'BadRequest'],
  ['GET', '/claim/%2e%2e%5csecret.txt', 400, 'BadRequest'],
  ['GET', `/claim/${CID}%00`, 400, 'BadRequest'],
  ['GET', '/receipts/%2e%2e%2f%2e%2e%2fsecret.txt', 400, 'BadRequest'],
  ['GET', `/receipts/${CID}%2f..%2f..%2fsecret.txt`, 400, 'BadRequest'],
  ['GET', '/receipts/..\\secret.txt', 400, 'BadRequest'],
  ['GET', `/receipts/${CID}%00`, 400, 'BadRequest'],
  ['PUT', '/blob/..%2f..%2fsecret.txt', 400, 'InvalidDigestError'],
  ['DELETE', '/blob/..%2f..%2fsecret.txt', 400, 'InvalidDigestError'],
  ['DELETE', '/blob/%2e%2e%2fsecret.txt', 400, 'InvalidDigestError'],
  ['DELETE', '/blob/../secret.txt', 404, 'RouteNotFound'],
  ['GET', 'blob/zQm', 400, 'BadRequest'], // origin-form must start with "/"
]

describe.each(BACKENDS)('raw bad input against a listening server on %s', (backend) => {
  let root = ''
  let server: RunningServer
  let port = 0
  let host = ''
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'strata-bad-raw-'))
    await writeFile(join(root, 'secret.txt'), SECRET)
    await mkdir(join(root, 'data'))
    server = await startTestServer(backend, join(root, 'data'))
    host = new URL(server.url).host
    port = Number(new URL(server.url).port)
  })
  afterAll(async () => {
    await server?.close()
    await rm(root, { recursive: true, force: true })
  })

  /** A raw request with `Host` and `Connection: close`; `extra` header lines verbatim. */
  const request = (method: string, target: string, extra: string[] = [], body = '') =>
    `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra.map((h) => `${h}\r\n`).join('')}\r\n${body}`
  const expectAnswer = (answer: RawAnswer, status: number, name: string | null) => {
    expect(answer.status).toBe(status)
    if (name === null) return expect(answer.body.toString()).not.toMatch(/"error"/)
    expect(JSON.parse(answer.body.toString())).toMatchObject({ error: { name } })
  }
  /** Allocates `BYTES` (or `size`) and answers the presigned target and signed header lines. */
  const allocateRaw = async (size = BYTES.length, digest = DIGEST) => {
    const res = await fetch(`${server.url}/allocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SERVER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ space: server.identity.did, blob: { digest: z(digest), size } }),
    })
    const json = (await res.json()) as { url: string; headers: Record<string, string> }
    const url = new URL(json.url)
    return {
      target: `${url.pathname}${url.search}`,
      checksum: `x-amz-checksum-sha256: ${json.headers['x-amz-checksum-sha256']}`,
    }
  }

  it.each(TRAVERSALS)(
    '%s %s → %i %s; the planted file is untouched',
    async (method, target, status, name) => {
      const before = await stat(join(root, 'secret.txt'))
      const extra = method === 'PUT' ? ['Content-Length: 5'] : [`Authorization: Bearer ${SERVER_TOKEN}`]
      const answer = await rawExchange(port, request(method, target, extra, method === 'PUT' ? 'PWNED' : ''))
      expectAnswer(answer, status, method === 'HEAD' ? null : name)
      expect(answer.body.toString()).not.toContain(SECRET)
      expect(await readFile(join(root, 'secret.txt'), 'utf8')).toBe(SECRET)
      expect((await stat(join(root, 'secret.txt'))).mtimeMs).toBe(before.mtimeMs)
      expect((await readdir(root)).sort()).toEqual(['data', 'secret.txt'])
      expect(await server.container.cradle.blobs.has(DIGEST)).toBe(false)
      expect(await blobFilesOf(join(root, 'data'))).toEqual([])
    },
  )

  it.each([
    ['a space', 'a b'],
    ['a path', 'host/x'],
    ['a user', 'user@host'],
  ])('a Host header with %s → 400 BadRequest with the JSON body', async (_what, badHost) => {
    const raw = `GET /healthz HTTP/1.1\r\nHost: ${badHost}\r\nConnection: close\r\n\r\n`
    const answer = await rawExchange(port, raw)
    expectAnswer(answer, 400, 'BadRequest')
  })

  it.each([
    ['a 20 KiB header', request('GET', '/healthz', [`X-Big: ${'a'.repeat(20 * 1024)}`])],
    ['a 20 KiB digest in the request line', request('GET', `/blob/z${'1'.repeat(20 * 1024)}`)],
    [
      '2,000 small headers',
      request(
        'GET',
        '/healthz',
        Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${'v'.repeat(8)}`),
      ),
    ],
  ])('%s → 431 from Node, connection closed; the next request is served', async (_what, raw) => {
    const answer = await rawExchange(port, raw, { after: 'keep' })
    expectAnswer(answer, 431, 'HeadersTooLarge')
    expect(answer.headers.connection).toBe('close')
    const next = await rawExchange(port, request('GET', '/healthz'))
    expect(next.status).toBe(200)
  })

  /** `Content-Length` framing Node's parser refuses (400, connection closed) before the app runs. */
  it.each([
    ['not a number', ['Content-Length: abc']],
    ['negative', ['Content-Length: -1']],
    ['exponent', ['Content-Length: 1e3']],
    ['hexadecimal', ['Content-Length: 0x21']],
    ['1e400', ['Content-Length: 1e400']],
    ['duplicated, different', [`Content-Length: ${BYTES.length}`, `Content-Length: ${BYTES.length + 1}`]],
    ['duplicated, equal', [`Content-Length: ${BYTES.length}`, `Content-Length: ${BYTES.length}`]],
    ['list of two', [`Content-Length: ${BYTES.length}, ${BYTES.length}`]],
    ['with Transfer-Encoding', [`Content-Length: ${BYTES.length}`, 'Transfer-Encoding: chunked']],
  ])('Content-Length %s → 400 from Node; nothing stored', async (_what, framing) => {
    const { target, checksum } = await allocateRaw()
    const answer = await rawExchange(port, request('PUT', target, [checksum, ...framing], BYTES.toString()))
    expectAnswer(answer, 400, 'BadRequest')
    expect(await server.container.cradle.blobs.has(DIGEST)).toBe(false)
    expect(await blobFilesOf(join(root, 'data'))).toEqual([])
  })

  it.each([
    ['missing (no body)', [], ''],
    [
      'missing (chunked body)',
      ['Transfer-Encoding: chunked'],
      `${BYTES.length.toString(16)}\r\n${BYTES}\r\n0\r\n\r\n`,
    ],
  ])(
    'Content-Length %s → 401 (content-length is signed, so required); nothing stored',
    async (_what, framing, body) => {
      const { target, checksum } = await allocateRaw()
      const answer = await rawExchange(port, request('PUT', target, [checksum, ...framing], body))
      expectAnswer(answer, 401, 'Unauthorized')
      expect(await server.container.cradle.blobs.has(DIGEST)).toBe(false)
    },
  )

  it('a signed size over maxBlobSize → 413 at once, before any body byte is sent', async () => {
    const big = await sha256.digest(new Uint8Array(SERVER_MAX + 1))
    // No allocation can exist (POST /allocations refuses it: 413), so presign with the node's keys.
    const upload = await presignUpload(createSigner(server.identity.credentials), {
      url: new URL(`${server.url}/blob/${z(big)}`),
      size: SERVER_MAX + 1,
      checksum: checksumOf(big),
      signingDate: new Date(),
      expiresIn: 900,
    })
    const url = new URL(upload.url)
    const headers = [`x-amz-checksum-sha256: ${checksumOf(big)}`, `Content-Length: ${SERVER_MAX + 1}`]
    const answer = await rawExchange(port, request('PUT', `${url.pathname}${url.search}`, headers), {
      after: 'keep',
    })
    expectAnswer(answer, 413, 'TooLargeError')
    expect(await server.container.cradle.blobs.has(big)).toBe(false)
  })

  it.each([
    ['ends (half-close) after 10 of the declared bytes', 'end'],
    ['resets the connection after 10 of the declared bytes', 'destroy'],
  ] as const)('a client that %s: nothing stored, no temp file left', async (_what, then) => {
    const { target, checksum } = await allocateRaw()
    const head = request(
      'PUT',
      target,
      [checksum, `Content-Length: ${BYTES.length}`],
      BYTES.subarray(0, 10).toString(),
    )
    const answer = await rawExchange(port, head, { after: then })
    // The request is abandoned: either no answer at all, or a 400 TooSmallError.
    expect([0, 400]).toContain(answer.status)
    await eventually(async () => expect(await blobFilesOf(join(root, 'data'))).toEqual([]))
    expect(await server.container.cradle.blobs.has(DIGEST)).toBe(false)
  })

  it('a long body: bytes past Content-Length are the next request, never part of the blob', async () => {
    const { target, checksum } = await allocateRaw()
    const length = `Content-Length: ${BYTES.length}`
    // Wrong bytes + garbage: Node refuses the garbage as a request (400, connection dropped).
    const wrong = Buffer.from(BYTES).fill(0x41, 0, 1).toString()
    const refused = await rawExchange(
      port,
      request('PUT', target, [checksum, length], `${wrong}GARBAGE-AFTER-BODY`),
    )
    expectAnswer(refused, 400, 'BadRequest')
    await eventually(async () => expect(await blobFilesOf(join(root, 'data'))).toEqual([]))
    expect(await server.container.cradle.blobs.has(DIGEST)).toBe(false)
    // The right bytes + a pipelined request: 201 for the blob (exactly the declared bytes), then 200.
    const first = `PUT ${target} HTTP/1.1\r\nHost: ${host}\r\n${checksum}\r\n${length}\r\n\r\n${BYTES}`
    const answer = await rawExchange(port, `${first}${request('GET', '/healthz')}`)
    expect(answer.status).toBe(201)
    expect(answer.body.toString()).toMatch(/HTTP\/1\.1 200 OK/)
    const back = await fetch(`${server.url}/blob/${z(DIGEST)}`)
    expect(Buffer.from(await back.arrayBuffer()).equals(BYTES)).toBe(true)
    await server.container.cradle.blobs.delete(DIGEST)
  })
})
