import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  allocate,
  auth,
  BACKENDS,
  bytesOf,
  type Ctx,
  expectError,
  MAX,
  PUBLIC,
  put,
  T0,
  useWriteCtx,
  z,
} from '../helpers/http-write-fixtures.js'

describe.each(BACKENDS)('POST /allocations on %s', (backend) => {
  const current = useWriteCtx(backend)
  let ctx: Ctx
  beforeEach(() => {
    ctx = current()
  })

  describe('POST /allocations', () => {
    it('allocates and presigns; the exact url + headers upload (201), again 200; GET reads it back', async () => {
      const bytes = bytesOf('hello write path')
      const { res, digest, json } = await allocate(ctx, bytes)
      expect(res.status).toBe(201)
      expect(json.allocated).toBe(true)
      expect(json.headers).toEqual({
        'content-length': String(bytes.length),
        'x-amz-checksum-sha256': createHash('sha256').update(bytes).digest('base64'),
      })
      expect(json.expiresAt).toBe(new Date(T0 - (T0 % 1000) + 900_000).toISOString())
      const url = new URL(json.url)
      expect(`${url.origin}${url.pathname}`).toBe(`${PUBLIC}/blob/${z(digest)}`)
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;x-amz-checksum-sha256')
      expect(url.searchParams.get('X-Amz-Expires')).toBe('900')
      const allocation = await ctx.cradle.allocations.get(digest, ctx.space)
      expect(allocation.expires).toBe(Math.floor(T0 / 1000) + 900)
      expect(allocation.blob.size).toBe(bytes.length)

      const first = await put(ctx, json.url, json.headers, bytes)
      expect(first.status).toBe(201)
      expect(first.headers.get('etag')).toBe(`"${z(digest)}"`)
      expect(await ctx.cradle.blobs.has(digest)).toBe(true)
      const again = await put(ctx, json.url, json.headers, bytes)
      expect(again.status).toBe(200)
      const read = await ctx.app.request(`/blob/${z(digest)}`)
      expect(Buffer.from(await read.arrayBuffer())).toEqual(Buffer.from(bytes))

      const second = await allocate(ctx, bytes)
      expect(second.res.status).toBe(200)
      expect(second.json).toEqual({ allocated: false })
    })

    it('records the given cause, or a deterministic one derived from the request', async () => {
      const cause = CID.createV1(0x71, await sha256.digest(bytesOf('invocation')))
      const a = await allocate(ctx, bytesOf('with cause'), { cause: cause.toString() })
      expect(a.res.status).toBe(201)
      expect((await ctx.cradle.allocations.get(a.digest, ctx.space)).cause.toString()).toBe(cause.toString())
      const b = await allocate(ctx, bytesOf('derived cause'))
      const derived = (await ctx.cradle.allocations.get(b.digest, ctx.space)).cause
      await allocate(ctx, bytesOf('derived cause'))
      expect((await ctx.cradle.allocations.get(b.digest, ctx.space)).cause.toString()).toBe(
        derived.toString(),
      )
      expect(derived.code).toBe(0x55)
    })

    it('answers 401 without or with a wrong bearer token', async () => {
      const body = JSON.stringify({
        space: ctx.space,
        blob: { digest: z(await sha256.digest(bytesOf('x'))), size: 1 },
      })
      const none = await ctx.app.request('/allocations', { method: 'POST', body })
      await expectError(none, 401, 'Unauthorized')
      expect(none.headers.get('www-authenticate')).toBe('Bearer')
      const wrong = await ctx.app.request('/allocations', {
        method: 'POST',
        headers: { authorization: 'Bearer not-the-token-at-all' },
        body,
      })
      await expectError(wrong, 401, 'Unauthorized')
    })

    it('answers 400 naming the field, 400 for other hashes, 413 over the size limit', async () => {
      const digest = z(await sha256.digest(bytesOf('x')))
      const post = (body: unknown) =>
        ctx.app.request('/allocations', {
          method: 'POST',
          headers: auth,
          body: typeof body === 'string' ? body : JSON.stringify(body),
        })
      await expectError(await post('{nope'), 400, 'BadRequest', /^body:/)
      await expectError(await post({ space: ctx.space, blob: { digest } }), 400, 'BadRequest', /^blob\.size:/)
      await expectError(
        await post({ space: ctx.space, blob: { digest, size: 1.5 } }),
        400,
        'BadRequest',
        /^blob\.size:/,
      )
      await expectError(
        await post({ space: ctx.space, blob: { digest, size: -1 } }),
        400,
        'BadRequest',
        /^blob\.size:/,
      )
      await expectError(
        await post({ space: 'did:key:0OIl', blob: { digest, size: 1 } }),
        400,
        'BadRequest',
        /^space:/,
      )
      await expectError(
        await post({ space: 'nobody', blob: { digest, size: 1 } }),
        400,
        'BadRequest',
        /^space:/,
      )
      await expectError(
        await post({ space: ctx.space, blob: { digest: 'z!!', size: 1 } }),
        400,
        'InvalidDigestError',
      )
      await expectError(
        await post({ space: ctx.space, blob: { digest, size: 1 }, cause: 'nope' }),
        400,
        'BadRequest',
        /^cause:/,
      )
      const sha512Digest = z(await sha512.digest(bytesOf('x')))
      await expectError(
        await post({ space: ctx.space, blob: { digest: sha512Digest, size: 1 } }),
        400,
        'UnsupportedHashError',
      )
      await expectError(
        await post({ space: ctx.space, blob: { digest, size: MAX + 1 } }),
        413,
        'TooLargeError',
      )
      // A CID names the digest too.
      const cid = CID.createV1(0x55, await sha256.digest(bytesOf('x'))).toString()
      expect((await post({ space: ctx.space, blob: { digest: cid, size: 1 } })).status).toBe(201)
    })
  })
})
