/**
 * The bad-input battery, in process (`app.request`: the transport does not matter here):
 * malformed and unsupported digests on every `/blob/:digest` method, malformed JSON bodies of
 * `POST /allocations` and `POST /acceptances`, missing or wrong bearer tokens. Each row is
 * "input → status + error name", and each checks that nothing was stored.
 */
import { base58btc } from 'multiformats/bases/base58'
import { create as createDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { sha256 } from 'multiformats/hashes/sha2'
import { beforeEach, describe, expect, it } from 'vitest'
import { MAX_JSON_BODY_BYTES } from '../../src/http/middleware/json-body.js'
import { expectNothingStored } from '../helpers/bad-input-helpers.js'
import {
  allocate,
  auth,
  BACKENDS,
  bytesOf,
  type Ctx,
  expectError,
  MAX,
  put,
  TOKEN,
  useWriteCtx,
  z,
} from '../helpers/http-write-fixtures.js'

const SHA2_256 = await sha256.digest(bytesOf('a well-formed digest'))
/** A multihash of `code` with `length` bytes of 7s, base58btc. */
const mh = (code: number, length: number) =>
  base58btc.encode(createDigest(code, new Uint8Array(length).fill(7)).bytes)
/** base58btc of raw bytes (not necessarily a multihash). */
const b58 = (bytes: number[]) => base58btc.encode(new Uint8Array(bytes))

/** Malformed `:digest` segments: every method answers 400 InvalidDigestError (the empty one matches no route). */
const MALFORMED: ReadonlyArray<[what: string, status: number, name: string, segment: string]> = [
  ['not multibase', 400, 'InvalidDigestError', 'hello.world'],
  ['unknown multibase prefix', 400, 'InvalidDigestError', 'xabc'],
  ['bad base58 (0, O, I, l)', 400, 'InvalidDigestError', 'z0OIl'],
  ['bad base32', 400, 'InvalidDigestError', 'b0189'],
  ['truncated multihash', 400, 'InvalidDigestError', base58btc.encode(SHA2_256.bytes.subarray(0, 20))],
  ['code only', 400, 'InvalidDigestError', b58([0x12])],
  [
    'varint overflow (code)',
    400,
    'InvalidDigestError',
    b58([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0]),
  ],
  [
    'varint overflow (length)',
    400,
    'InvalidDigestError',
    b58([0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  ],
  [
    'length byte larger than the digest',
    400,
    'InvalidDigestError',
    b58([0x12, 0x40, ...new Array(32).fill(1)]),
  ],
  ['trailing bytes', 400, 'InvalidDigestError', b58([...SHA2_256.bytes, 0])],
  ['sha2-256 of 31 bytes', 400, 'InvalidDigestError', mh(0x12, 31)],
  ['sha2-512 of 32 bytes', 400, 'InvalidDigestError', mh(0x13, 32)],
  ['10 KB of base58', 400, 'InvalidDigestError', `z${'1'.repeat(10 * 1024)}`],
  ['empty', 404, 'RouteNotFound', ''],
]

/** Well-formed digests of hash functions uploads cannot verify. */
const UNSUPPORTED: ReadonlyArray<[what: string, segment: string]> = [
  ['identity 0x00', mh(0x00, 5)],
  ['sha3-256 0x16', mh(0x16, 32)],
  ['blake3 0x1e', mh(0x1e, 32)],
  ['blake2b-256 0xb220', mh(0xb220, 32)],
]

describe.each(BACKENDS)('bad input, in process, on %s', (backend) => {
  const current = useWriteCtx(backend)
  let ctx: Ctx
  beforeEach(() => {
    ctx = current()
  })
  /** A request with the bearer token, `body` sent as given (strings verbatim). */
  const authed = (method: string, path: string, body?: string, headers: Record<string, string> = auth) =>
    ctx.app.request(path, { method, headers, ...(body === undefined ? {} : { body }) })

  describe('malformed /blob/:digest', () => {
    it.each(MALFORMED)('%s → %i %s on GET, HEAD, PUT, DELETE', async (_what, status, name, segment) => {
      const path = `/blob/${segment}`
      await expectError(await ctx.app.request(path), status, name)
      const head = await ctx.app.request(path, { method: 'HEAD' })
      expect(head.status).toBe(status)
      expect(await head.text()).toBe('')
      // PUT: refused before the signature is even looked at; DELETE: after the bearer check.
      await expectError(await put(ctx, `${path}?X-Amz-Signature=x`, {}, bytesOf('x')), status, name)
      await expectError(await authed('DELETE', path), status, name)
      await expectNothingStored(ctx.cradle, [SHA2_256])
    })
  })

  describe('well-formed digests of unsupported hash functions', () => {
    it.each(UNSUPPORTED)(
      '%s → GET 404, PUT 401 unsigned / 400 signed, DELETE 204, allocate 400',
      async (_w, segment) => {
        const path = `/blob/${segment}`
        // Reads accept any multihash (a blob Piri stored); this one is not stored.
        await expectError(await ctx.app.request(path), 404, 'NotFoundError')
        await expectError(await put(ctx, path, {}, bytesOf('x')), 401, 'Unauthorized')
        // Deleting what is not stored is a no-op.
        expect((await authed('DELETE', path)).status).toBe(204)
        const body = JSON.stringify({ space: ctx.space, blob: { digest: segment, size: 1 } })
        await expectError(await authed('POST', '/allocations', body), 400, 'UnsupportedHashError')
        const digest = base58btc.decode(segment)
        expect(await ctx.cradle.allocations.has({ bytes: digest } as MultihashDigest)).toBe(false)
        await expectNothingStored(ctx.cradle, [])
      },
    )
  })

  describe('malformed JSON bodies', () => {
    const digest = z(SHA2_256)
    const ok = () => ({ space: ctx.space, blob: { digest, size: 20 } })
    /** Bodies (a string is sent verbatim) → status, name, message prefix; the same on both routes. */
    const BODIES: ReadonlyArray<
      [what: string, status: number, name: string, prefix: RegExp, body: () => unknown]
    > = [
      ['not JSON', 400, 'BadRequest', /^body: expected a JSON object/, () => '{nope'],
      ['empty body', 400, 'BadRequest', /^body: expected a JSON object/, () => ''],
      ['truncated JSON', 400, 'BadRequest', /^body:/, () => JSON.stringify(ok()).slice(0, -3)],
      ['JSON null', 400, 'BadRequest', /^body:/, () => 'null'],
      ['JSON array', 400, 'BadRequest', /^body:/, () => '[]'],
      ['JSON string', 400, 'BadRequest', /^body:/, () => '"x"'],
      ['unknown top-level key', 400, 'BadRequest', /^body:/, () => ({ ...ok(), extra: 1 })],
      ['unknown blob key', 400, 'BadRequest', /^blob:/, () => ({ ...ok(), blob: { digest, size: 1, x: 1 } })],
      ['no space', 400, 'BadRequest', /^space:/, () => ({ blob: { digest, size: 1 } })],
      ['space not a DID', 400, 'BadRequest', /^space:/, () => ({ ...ok(), space: 'nobody' })],
      ['no blob', 400, 'BadRequest', /^blob:/, () => ({ space: ctx.space })],
      [
        'digest a number',
        400,
        'BadRequest',
        /^blob\.digest:/,
        () => ({ ...ok(), blob: { digest: 5, size: 1 } }),
      ],
      [
        'digest malformed',
        400,
        'InvalidDigestError',
        /./,
        () => ({ ...ok(), blob: { digest: 'z0OIl', size: 1 } }),
      ],
      ['size a string', 400, 'BadRequest', /^blob\.size:/, () => ({ ...ok(), blob: { digest, size: '20' } })],
      ['size negative', 400, 'BadRequest', /^blob\.size:/, () => ({ ...ok(), blob: { digest, size: -1 } })],
      ['size -0.5', 400, 'BadRequest', /^blob\.size:/, () => ({ ...ok(), blob: { digest, size: -0.5 } })],
      [
        'size fractional',
        400,
        'BadRequest',
        /^blob\.size:/,
        () => ({ ...ok(), blob: { digest, size: 1.5 } }),
      ],
      [
        'size 2^53',
        400,
        'BadRequest',
        /^blob\.size:/,
        () => `{"space":"${ctx.space}","blob":{"digest":"${digest}","size":9007199254740992}}`,
      ],
      [
        'size 2^53+1',
        400,
        'BadRequest',
        /^blob\.size:/,
        () => `{"space":"${ctx.space}","blob":{"digest":"${digest}","size":9007199254740993}}`,
      ],
      [
        'size 1e400 (Infinity)',
        400,
        'BadRequest',
        /^blob\.size:/,
        () => `{"space":"${ctx.space}","blob":{"digest":"${digest}","size":1e400}}`,
      ],
      [
        'size -1e400',
        400,
        'BadRequest',
        /^blob\.size:/,
        () => `{"space":"${ctx.space}","blob":{"digest":"${digest}","size":-1e400}}`,
      ],
      ['size null', 400, 'BadRequest', /^blob\.size:/, () => ({ ...ok(), blob: { digest, size: null } })],
      ['cause not a CID', 400, 'BadRequest', /^cause:/, () => ({ ...ok(), cause: 'nope' })],
      ['cause a number', 400, 'BadRequest', /^cause:/, () => ({ ...ok(), cause: 1 })],
    ]

    it.each(BODIES)(
      '%s → %i %s on POST /allocations and /acceptances',
      async (_what, status, name, prefix, body) => {
        const value = body()
        const text = typeof value === 'string' ? value : JSON.stringify(value)
        await expectError(await authed('POST', '/allocations', text), status, name, prefix)
        await expectError(await authed('POST', '/acceptances', text), status, name, prefix)
        await expectNothingStored(ctx.cradle, [SHA2_256])
      },
    )

    it('size over server.maxBlobSize → 413 TooLargeError, no allocation', async () => {
      const text = JSON.stringify({ space: ctx.space, blob: { digest, size: MAX + 1 } })
      await expectError(await authed('POST', '/allocations', text), 413, 'TooLargeError')
      await expectNothingStored(ctx.cradle, [SHA2_256])
    })

    /** `Content-Type` values a JSON route refuses: 415 UnsupportedMediaType, before the body is read. */
    const CONTENT_TYPES: ReadonlyArray<[what: string, type: string | undefined]> = [
      ['none', undefined],
      ['text/plain', 'text/plain'],
      ['a form', 'application/x-www-form-urlencoded'],
      ['multipart', 'multipart/form-data; boundary=x'],
      ['application/jsonx', 'application/jsonx'],
      ['application/octet-stream', 'application/octet-stream'],
    ]

    it.each(CONTENT_TYPES)(
      'content type %s → 415 UnsupportedMediaType on POST /allocations and /acceptances',
      async (_what, type) => {
        const headers =
          type === undefined ? { authorization: `Bearer ${TOKEN}` } : { ...auth, 'content-type': type }
        const text = JSON.stringify(ok())
        await expectError(await authed('POST', '/allocations', text, headers), 415, 'UnsupportedMediaType')
        await expectError(await authed('POST', '/acceptances', text, headers), 415, 'UnsupportedMediaType')
        await expectNothingStored(ctx.cradle, [SHA2_256])
      },
    )

    it('application/json with parameters or in upper case is accepted (201)', async () => {
      for (const type of ['application/json; charset=utf-8', 'Application/JSON']) {
        const res = await authed('POST', '/allocations', JSON.stringify(ok()), {
          ...auth,
          'content-type': type,
        })
        expect(res.status, type).toBe(201)
      }
    })

    it(`a JSON body over ${MAX_JSON_BODY_BYTES} bytes → 413 TooLargeError; exactly the limit is read`, async () => {
      const json = JSON.stringify(ok())
      const padded = (length: number) => json + ' '.repeat(length - json.length)
      const over = padded(MAX_JSON_BODY_BYTES + 1)
      await expectError(await authed('POST', '/allocations', over), 413, 'TooLargeError')
      await expectError(await authed('POST', '/acceptances', over), 413, 'TooLargeError')
      await expectNothingStored(ctx.cradle, [SHA2_256])
      expect((await authed('POST', '/allocations', padded(MAX_JSON_BODY_BYTES))).status).toBe(201)
    })

    it('acceptance: not stored → 404, not allocated for the space → 403, other size → 400; none recorded', async () => {
      const bytes = bytesOf('accepted too early')
      const { digest: d, json } = await allocate(ctx, bytes)
      const accept = (space: string, size: number) =>
        authed('POST', '/acceptances', JSON.stringify({ space, blob: { digest: z(d), size } }))
      await expectError(await accept(ctx.space, bytes.length), 404, 'NotFoundError')
      expect((await put(ctx, json.url, json.headers, bytes)).status).toBe(201)
      const stranger = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
      await expectError(await accept(stranger, bytes.length), 403, 'Forbidden')
      await expectError(await accept(ctx.space, bytes.length + 1), 400, 'BadRequest', /^blob\.size:/)
      expect(await ctx.cradle.acceptances.has(d)).toBe(false)
      const other = JSON.stringify({ space: ctx.space, blob: { digest, size: 20 } })
      await expectError(await authed('POST', '/acceptances', other), 404, 'NotFoundError')
      expect(await ctx.cradle.acceptances.has(SHA2_256)).toBe(false)
    })
  })

  describe('missing or wrong bearer token', () => {
    /** `Authorization` values → all 401 Unauthorized with `WWW-Authenticate: Bearer`. */
    const AUTHORIZATIONS: ReadonlyArray<[what: string, headers: Record<string, string>]> = [
      ['none', {}],
      ['empty', { authorization: '' }],
      ['scheme only', { authorization: 'Bearer' }],
      ['scheme and space', { authorization: 'Bearer ' }],
      ['wrong token', { authorization: 'Bearer not-the-token' }],
      ['token with a suffix', { authorization: `Bearer ${TOKEN}x` }],
      ['token prefix', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
      ['Basic scheme', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
      ['token without scheme', { authorization: TOKEN }],
      ['two tokens', { authorization: `Bearer ${TOKEN} ${TOKEN}` }],
      ['token in the query only', {}],
    ]

    it.each(AUTHORIZATIONS)(
      '%s → 401 on POST /allocations, POST /acceptances, DELETE',
      async (what, headers) => {
        const bytes = bytesOf('kept despite the DELETE')
        const { json, digest } = await allocate(ctx, bytes)
        expect((await put(ctx, json.url, json.headers, bytes)).status).toBe(201)
        const query = what === 'token in the query only' ? `?token=${TOKEN}` : ''
        const text = JSON.stringify({ space: ctx.space, blob: { digest: z(SHA2_256), size: 20 } })
        const send = (method: string, path: string, body?: string) =>
          ctx.app.request(`${path}${query}`, { method, headers, ...(body === undefined ? {} : { body }) })
        for (const res of [
          await send('POST', '/allocations', text),
          await send('POST', '/acceptances', text),
          await send('DELETE', `/blob/${z(digest)}`),
        ]) {
          expect(res.headers.get('www-authenticate')).toBe('Bearer')
          await expectError(res, 401, 'Unauthorized')
        }
        expect(await ctx.cradle.blobs.has(digest)).toBe(true)
        expect(await ctx.cradle.acceptances.has(digest)).toBe(false)
        expect(await ctx.cradle.allocations.has(SHA2_256)).toBe(false)
      },
    )
  })
})
