/**
 * The bad-input battery for `PUT /blob/:digest`, in process: every part of a presigned URL
 * tampered with, expired, replayed or used with another method; signed but absurd
 * `Content-Length` values; bodies that do not match what was signed. Every row also proves that
 * no blob object and no flatfs temp file was left behind.
 */
import { sha256 } from 'multiformats/hashes/sha2'
import { beforeEach, describe, expect, it } from 'vitest'
import { checksumOf, presignUpload } from '../../src/http/index.js'
import { createSigner, loadIdentity } from '../../src/identity/index.js'
import { blobFilesOf } from '../helpers/bad-input-helpers.js'
import {
  type Allocated,
  allocate,
  BACKENDS,
  bytesOf,
  type Ctx,
  expectError,
  PUBLIC,
  put,
  T0,
  TOKEN,
  useWriteCtx,
  z,
} from '../helpers/http-write-fixtures.js'

const BYTES = bytesOf('the only bytes that were signed')
const OTHER = bytesOf('some other bytes, also allocated')

/** What a tampering does to the allocated upload: its URL, the headers sent, the body. */
interface Upload {
  url: URL
  headers: Record<string, string>
  body: Uint8Array
}

/** A query parameter replaced (or removed with `null`). */
const setParam = (name: string, value: string | null) => (u: Upload) => {
  if (value === null) u.url.searchParams.delete(name)
  else u.url.searchParams.set(name, value)
}
const credential = (change: (parts: string[]) => void) => (u: Upload) => {
  const parts = (u.url.searchParams.get('X-Amz-Credential') ?? '').split('/')
  change(parts)
  u.url.searchParams.set('X-Amz-Credential', parts.join('/'))
}

/** Tamperings of a valid presigned upload → 401 Unauthorized, with the reason the message names. */
const TAMPERED: ReadonlyArray<[what: string, reason: RegExp, tamper: (u: Upload, other: Allocated) => void]> =
  [
    [
      'signature: last character changed',
      /signature does not match/,
      (u) => {
        const sig = u.url.searchParams.get('X-Amz-Signature') ?? ''
        u.url.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`)
      },
    ],
    [
      'signature: upper-cased',
      /signature does not match/,
      (u) => {
        u.url.searchParams.set(
          'X-Amz-Signature',
          (u.url.searchParams.get('X-Amz-Signature') ?? '').toUpperCase(),
        )
      },
    ],
    ['signature: removed', /X-Amz-Signature missing/, setParam('X-Amz-Signature', null)],
    ['signature: empty', /X-Amz-Signature missing/, setParam('X-Amz-Signature', '')],
    ['algorithm: HMAC-SHA1', /X-Amz-Algorithm/, setParam('X-Amz-Algorithm', 'AWS4-HMAC-SHA1')],
    [
      'credential: other access key',
      /not this node/,
      credential((p) => {
        p[0] = 'AKIAOTHERKEY'
      }),
    ],
    [
      'credential: other scope date',
      /not this node/,
      credential((p) => {
        p[1] = '20250101'
      }),
    ],
    [
      'credential: other region',
      /not this node/,
      credential((p) => {
        p[2] = 'eu-west-1'
      }),
    ],
    [
      'credential: truncated',
      /not this node/,
      credential((p) => {
        p.length = 3
      }),
    ],
    ['date: one second later', /signature does not match/, setParam('X-Amz-Date', '20260102T030406Z')],
    ['date: malformed', /malformed X-Amz-Date/, setParam('X-Amz-Date', '2026-01-02T03:04:05Z')],
    ['date: impossible (month 13)', /malformed X-Amz-Date/, setParam('X-Amz-Date', '20261302T030405Z')],
    ['expires: longer', /signature does not match/, setParam('X-Amz-Expires', '3600')],
    ['expires: 0', /malformed X-Amz-Date or X-Amz-Expires/, setParam('X-Amz-Expires', '0')],
    ['expires: negative', /malformed X-Amz-Date or X-Amz-Expires/, setParam('X-Amz-Expires', '-900')],
    ['expires: over 7 days', /malformed X-Amz-Date or X-Amz-Expires/, setParam('X-Amz-Expires', '604801')],
    ['expires: 1e3', /malformed X-Amz-Date or X-Amz-Expires/, setParam('X-Amz-Expires', '1e3')],
    [
      'signed headers: content-length dropped',
      /does not sign content-length/,
      setParam('X-Amz-SignedHeaders', 'host;x-amz-checksum-sha256'),
    ],
    [
      'signed headers: checksum dropped',
      /does not sign x-amz-checksum-sha256/,
      setParam('X-Amz-SignedHeaders', 'content-length;host'),
    ],
    [
      'signed headers: one more, not sent',
      /signed header range not sent/,
      setParam('X-Amz-SignedHeaders', 'content-length;host;range;x-amz-checksum-sha256'),
    ],
    ['extra query parameter', /signature does not match/, setParam('x-id', 'PutObject')],
    [
      'checksum header: another digest',
      /signature does not match/,
      (u, other) => {
        u.headers['x-amz-checksum-sha256'] = other.headers['x-amz-checksum-sha256'] ?? ''
      },
    ],
    [
      'checksum header: missing',
      /x-amz-checksum-sha256 not sent/,
      (u) => {
        delete u.headers['x-amz-checksum-sha256']
      },
    ],
    [
      'content-length: one less (body too)',
      /signature does not match/,
      (u) => {
        u.body = u.body.subarray(1)
        u.headers['content-length'] = String(u.body.length)
      },
    ],
    [
      'replayed for another digest (its bytes)',
      /signature does not match/,
      (u, other) => {
        u.url.pathname = new URL(other.url).pathname
        u.headers = { ...other.headers }
        u.body = OTHER
      },
    ],
  ]

describe.each(BACKENDS)('bad presigned uploads, in process, on %s', (backend) => {
  const current = useWriteCtx(backend)
  let ctx: Ctx
  let mine: Allocated
  let other: Allocated
  beforeEach(async () => {
    ctx = current()
    mine = (await allocate(ctx, BYTES)).json
    other = (await allocate(ctx, OTHER)).json
  })
  const expectNoBlob = async () => {
    expect(await ctx.cradle.blobs.has(await sha256.digest(BYTES))).toBe(false)
    expect(await ctx.cradle.blobs.has(await sha256.digest(OTHER))).toBe(false)
    expect(await blobFilesOf(ctx.cradle.config.storage.dataDir)).toEqual([])
  }

  it.each(TAMPERED)('%s → 401 Unauthorized (%s)', async (_what, reason, tamper) => {
    const upload: Upload = { url: new URL(mine.url), headers: { ...mine.headers }, body: BYTES }
    tamper(upload, other)
    await expectError(
      await put(ctx, upload.url.toString(), upload.headers, upload.body),
      401,
      'Unauthorized',
      reason,
    )
    await expectNoBlob()
    // The untouched URL still works afterwards: nothing was consumed by the failures.
    expect((await put(ctx, mine.url, mine.headers, BYTES)).status).toBe(201)
  })

  it.each([
    ['expired (exactly at expiry)', 900_000, /expired/],
    ['expired (a day later)', 86_400_000, /expired/],
    ['dated more than 5 min in the future', -301_000, /future/],
  ])('%s → 401 Unauthorized', async (_what, shift, reason) => {
    ctx.clock.now = T0 + shift
    await expectError(await put(ctx, mine.url, mine.headers, BYTES), 401, 'Unauthorized', reason)
    await expectNoBlob()
  })

  it.each([
    ['POST', 404, 'RouteNotFound'], // no POST route on /blob/:digest
    ['PATCH', 404, 'RouteNotFound'],
    ['DELETE', 401, 'Unauthorized'], // the presigned query is no bearer token
  ])('the presigned URL used with %s → %i %s', async (method, status, name) => {
    const res = await ctx.app.request(mine.url, { method, headers: mine.headers, body: BYTES })
    await expectError(res, status, name)
    await expectNoBlob()
  })

  /** Signed (so the signature holds) but unusable `Content-Length` values → 400 BadRequest. */
  it.each([
    ['negative', '-1'],
    ['exponent', '1e3'],
    ['hexadecimal', '0x10'],
    ['plus sign', '+31'],
    ['empty', ''],
    ['two values', '31, 31'],
    ['2^53 + 1', '9007199254740993'],
    ['17 digits', '12345678901234567'],
    ['Infinity (what String(1e400) gives)', 'Infinity'],
  ])('signed Content-Length %s (%j) → 400 BadRequest', async (_what, value) => {
    const digest = await sha256.digest(BYTES)
    const identity = await loadIdentity(ctx.cradle.keystore)
    const upload = await presignUpload(createSigner(identity.credentials), {
      url: new URL(`${PUBLIC}/blob/${z(digest)}`),
      // presignUpload signs `String(size)`: a string gets the absurd value signed as is.
      size: value as unknown as number,
      checksum: checksumOf(digest),
      signingDate: new Date(T0),
      expiresIn: 900,
    })
    const res = await put(ctx, upload.url, { ...upload.headers, 'content-length': value }, BYTES)
    await expectError(res, 400, 'BadRequest', /content-length required/)
    await expectNoBlob()
  })

  it.each([
    ['wrong bytes of the right length', 409, 'DigestMismatchError', () => BYTES.map((b) => b ^ 1)],
    ['short body (declared length not reached)', 400, 'TooSmallError', () => BYTES.subarray(0, 10)],
    ['empty body', 400, 'TooSmallError', () => new Uint8Array(0)],
    ['long body (more than declared)', 413, 'TooLargeError', () => new Uint8Array([...BYTES, 0])],
  ])('%s → %i %s', async (_what, status, name, body) => {
    await expectError(await put(ctx, mine.url, mine.headers, body()), status, name)
    await expectNoBlob()
    expect((await put(ctx, mine.url, mine.headers, BYTES)).status).toBe(201)
  })

  it('DELETE with the bearer token of a blob never stored → 204, nothing created', async () => {
    const res = await ctx.app.request(`/blob/${z(await sha256.digest(BYTES))}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(res.status).toBe(204)
    await expectNoBlob()
  })
})
