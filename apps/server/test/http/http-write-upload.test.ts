import { Hash } from '@smithy/hash-node'
import { HttpRequest } from '@smithy/protocol-http'
import { SignatureV4 } from '@smithy/signature-v4'
import { ed25519 } from '@ucanto/principal'
import { base32 } from 'multiformats/bases/base32'
import { sha256 } from 'multiformats/hashes/sha2'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { checksumOf, presignUpload } from '../../src/http/index.js'
import { createSigner, identityOf, loadIdentity } from '../../src/identity/index.js'
import {
  allocate,
  BACKENDS,
  bytesOf,
  type Ctx,
  expectError,
  MAX,
  PUBLIC,
  presignFor,
  put,
  T0,
  useWriteCtx,
  z,
} from '../helpers/http-write-fixtures.js'

describe.each(BACKENDS)('PUT /blob/:digest (presigned upload) on %s', (backend) => {
  const current = useWriteCtx(backend)
  let ctx: Ctx
  beforeEach(() => {
    ctx = current()
  })

  describe('PUT /blob/:digest', () => {
    it('accepts any URL presigned with the node credentials (a second SignatureV4 agrees)', async () => {
      const bytes = bytesOf('independent presigner')
      const { json, digest } = await allocate(ctx, bytes)
      const identity = await loadIdentity(ctx.cradle.keystore)
      const url = new URL(json.url)
      const other = new SignatureV4({
        credentials: identity.credentials,
        region: 'us-east-1',
        service: 's3',
        sha256: Hash.bind(null, 'sha256'),
        uriEscapePath: false,
      })
      const signed = await other.presign(
        new HttpRequest({
          method: 'PUT',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          // The node signs the allocation's space into the URL; any signer given it agrees.
          query: { 'x-strata-space': url.searchParams.get('x-strata-space') ?? '' },
          headers: { host: url.host, ...json.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        }),
        {
          signingDate: new Date(T0),
          expiresIn: 900,
          unsignableHeaders: new Set(['x-amz-content-sha256']),
          unhoistableHeaders: new Set(['x-amz-content-sha256', 'x-amz-checksum-sha256']),
        },
      )
      expect(signed.query?.['X-Amz-Signature']).toBe(url.searchParams.get('X-Amz-Signature'))
      // Presigned later by another signer, with the credentials only (no space: the allocation is
      // found by listing the digest's allocations): accepted too.
      ctx.clock.now += 60_000
      const later = await presignUpload(createSigner(identity.credentials), {
        url: new URL(`${PUBLIC}/blob/${z(digest)}`),
        size: bytes.length,
        checksum: checksumOf(digest),
        signingDate: new Date(ctx.clock.now - 30_000),
        expiresIn: 120,
      })
      expect((await put(ctx, later.url, later.headers, bytes)).status).toBe(201)
    })

    it("finds the allocation of the space signed into the node's own URL with one read, no listing", async () => {
      const bytes = bytesOf('one allocation read')
      const { json } = await allocate(ctx, bytes)
      expect(new URL(json.url).searchParams.get('x-strata-space')).toBe(ctx.space)
      const get = vi.spyOn(ctx.cradle.allocations, 'get')
      const any = vi.spyOn(ctx.cradle.allocations, 'getAnyNonExpired')
      expect((await put(ctx, json.url, json.headers, bytes)).status).toBe(201)
      expect([get.mock.calls.length, any.mock.calls.length]).toEqual([1, 0])
      // The space cannot be swapped: it is signed.
      const other = new URL(json.url)
      other.searchParams.set('x-strata-space', 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK')
      await expectError(
        await put(ctx, other.toString(), json.headers, bytes),
        401,
        'Unauthorized',
        /signature/,
      )
    })

    it('answers 401 for an expired, tampered, replayed or header-mismatched URL; nothing stored', async () => {
      const bytes = bytesOf('guarded bytes')
      const a = await allocate(ctx, bytes)
      const b = await allocate(ctx, bytesOf('other bytes!!'))
      const check = async (res: Response, message: RegExp) => {
        await expectError(res, 401, 'Unauthorized', message)
        expect(await ctx.cradle.blobs.has(a.digest)).toBe(false)
        expect(await ctx.cradle.blobs.has(b.digest)).toBe(false)
      }
      const tampered = new URL(a.json.url)
      const sig = tampered.searchParams.get('X-Amz-Signature') ?? ''
      tampered.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`)
      await check(await put(ctx, tampered.toString(), a.json.headers, bytes), /signature/)
      const longer = new URL(a.json.url)
      longer.searchParams.set('X-Amz-Expires', '3600')
      await check(await put(ctx, longer.toString(), a.json.headers, bytes), /signature/)
      const replayed = a.json.url.replace(z(a.digest), z(b.digest))
      await check(await put(ctx, replayed, b.json.headers, bytesOf('other bytes!!')), /signature/)
      const resized = { ...a.json.headers, 'content-length': String(bytes.length - 1) }
      await check(await put(ctx, a.json.url, resized, bytes.subarray(1)), /signature/)
      const rechecked = {
        ...a.json.headers,
        'x-amz-checksum-sha256': b.json.headers['x-amz-checksum-sha256'] ?? '',
      }
      await check(await put(ctx, a.json.url, rechecked, bytes), /signature/)
      const bare = a.json.url.split('?')[0] ?? ''
      await check(await put(ctx, bare, a.json.headers, bytes), /not a presigned URL/)
      const stranger = identityOf((await ed25519.generate()).encode())
      const foreign = await presignUpload(createSigner(stranger.credentials), {
        url: new URL(`${PUBLIC}/blob/${z(a.digest)}`),
        size: bytes.length,
        checksum: checksumOf(a.digest),
        signingDate: new Date(T0),
        expiresIn: 900,
      })
      await check(await put(ctx, foreign.url, foreign.headers, bytes), /not this node/)
      ctx.clock.now = T0 + 900_000
      await check(await put(ctx, a.json.url, a.json.headers, bytes), /expired/)
      ctx.clock.now = T0 - 3_600_000
      await check(await put(ctx, a.json.url, a.json.headers, bytes), /future/)
    })

    it('answers 403 without a live allocation, 400 for a malformed digest; nothing stored', async () => {
      const bytes = bytesOf('never allocated')
      const digest = await sha256.digest(bytes)
      const upload = await presignFor(ctx, digest, bytes.length)
      await expectError(await put(ctx, upload.url, upload.headers, bytes), 403, 'Forbidden')
      expect(await ctx.cradle.blobs.has(digest)).toBe(false)
      // An allocation that has expired does not count, even with a freshly signed URL.
      await allocate(ctx, bytes)
      ctx.clock.now = T0 + 901_000
      const fresh = await presignFor(ctx, digest, bytes.length, new Date(ctx.clock.now))
      await expectError(await put(ctx, fresh.url, fresh.headers, bytes), 403, 'Forbidden')
      expect(await ctx.cradle.blobs.has(digest)).toBe(false)
      ctx.clock.now = T0
      const malformed = upload.url.replace(z(digest), 'zNotADigest!')
      await expectError(await put(ctx, malformed, upload.headers, bytes), 400, 'InvalidDigestError')
      // The base32 form of the same digest is another path: not what was signed.
      const other = upload.url.replace(z(digest), base32.encode(digest.bytes))
      await expectError(await put(ctx, other, upload.headers, bytes), 401, 'Unauthorized')
    })

    it('answers 400 short body, 409 wrong bytes, 413 longer body or size over the limit; nothing stored', async () => {
      const bytes = bytesOf('exactly these bytes')
      const { json, digest } = await allocate(ctx, bytes)
      await expectError(await put(ctx, json.url, json.headers, bytes.subarray(0, 5)), 400, 'TooSmallError')
      expect(await ctx.cradle.blobs.has(digest)).toBe(false)
      const wrong = bytesOf('EXACTLY THESE BYTES')
      await expectError(await put(ctx, json.url, json.headers, wrong), 409, 'DigestMismatchError')
      expect(await ctx.cradle.blobs.has(digest)).toBe(false)
      const longer = new Uint8Array([...bytes, 1, 2, 3])
      await expectError(await put(ctx, json.url, json.headers, longer), 413, 'TooLargeError')
      expect(await ctx.cradle.blobs.has(digest)).toBe(false)

      const big = new Uint8Array(MAX + 1)
      const bigDigest = await sha256.digest(big)
      const upload = await presignFor(ctx, bigDigest, big.length)
      await expectError(await put(ctx, upload.url, upload.headers, big), 413, 'TooLargeError')
      expect(await ctx.cradle.blobs.has(bigDigest)).toBe(false)
      // And the right bytes still go in afterwards.
      expect((await put(ctx, json.url, json.headers, bytes)).status).toBe(201)
    })
  })
})
