import { delegate, invoke, Receipt } from '@ucanto/core'
import { ed25519 } from '@ucanto/principal'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  allocate,
  auth,
  BACKENDS,
  bytesOf,
  type Ctx,
  expectError,
  PUBLIC,
  put,
  T0,
  useWriteCtx,
  z,
} from '../helpers/http-write-fixtures.js'

describe.each(BACKENDS)('acceptances, delete, claims, receipts on %s', (backend) => {
  const current = useWriteCtx(backend)
  let ctx: Ctx
  beforeEach(() => {
    ctx = current()
  })

  describe('POST /acceptances and DELETE /blob/:digest', () => {
    it('accepts a stored blob allocated for the space: 201 with its location', async () => {
      const bytes = bytesOf('to be accepted')
      const { json, digest } = await allocate(ctx, bytes)
      const body = (space: string, size = bytes.length) =>
        JSON.stringify({ space, blob: { digest: z(digest), size } })
      const accept = (b: string, headers: Record<string, string> = auth) =>
        ctx.app.request('/acceptances', { method: 'POST', headers, body: b })
      await expectError(await accept(body(ctx.space), {}), 401, 'Unauthorized')
      await expectError(await accept(body(ctx.space)), 404, 'NotFoundError')
      expect((await put(ctx, json.url, json.headers, bytes)).status).toBe(201)
      const stranger = (await ed25519.generate()).did()
      await expectError(await accept(body(stranger)), 403, 'Forbidden')
      await expectError(await accept(body(ctx.space, bytes.length + 1)), 400, 'BadRequest', /blob\.size/)
      ctx.clock.now = T0 + 5_000
      const res = await accept(body(ctx.space))
      expect(res.status).toBe(201)
      expect(await res.json()).toEqual({ location: `${PUBLIC}/blob/${z(digest)}` })
      const acceptance = await ctx.cradle.acceptances.get(digest, ctx.space)
      expect(acceptance.executedAt).toBe(Math.floor((T0 + 5_000) / 1000))
      expect(acceptance.blob.size).toBe(bytes.length)
    })

    it('deletes idempotently (204) behind the bearer token', async () => {
      const bytes = bytesOf('short-lived')
      const { json, digest } = await allocate(ctx, bytes)
      await put(ctx, json.url, json.headers, bytes)
      await expectError(
        await ctx.app.request(`/blob/${z(digest)}`, { method: 'DELETE' }),
        401,
        'Unauthorized',
      )
      expect(await ctx.cradle.blobs.has(digest)).toBe(true)
      const del = () => ctx.app.request(`/blob/${z(digest)}`, { method: 'DELETE', headers: auth })
      expect((await del()).status).toBe(204)
      expect(await ctx.cradle.blobs.has(digest)).toBe(false)
      expect((await del()).status).toBe(204)
      await expectError(
        await ctx.app.request('/blob/zz!', { method: 'DELETE', headers: auth }),
        400,
        'InvalidDigestError',
      )
    })
  })

  describe('GET /claim/:cid and GET /receipts/:cid', () => {
    it('serves a delegation CAR; 404 unknown, 400 not a CID', async () => {
      const node = await ed25519.generate()
      const client = await ed25519.generate()
      const delegation = await delegate({
        issuer: node,
        audience: client,
        capabilities: [{ can: 'assert/location', with: node.did() }],
      })
      await ctx.cradle.claims.put(delegation)
      const res = await ctx.app.request(`/claim/${delegation.cid}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/vnd.ipld.car')
      const body = new Uint8Array(await res.arrayBuffer())
      expect(Buffer.from(body)).toEqual(Buffer.from(await ctx.cradle.claims.getArchive(delegation.cid)))
      expect(res.headers.get('content-length')).toBe(String(body.length))
      const head = await ctx.app.request(`/claim/${delegation.cid}`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-length')).toBe(String(body.length))
      expect((await head.arrayBuffer()).byteLength).toBe(0)
      const unknown = CID.createV1(0x71, await sha256.digest(bytesOf('none')))
      await expectError(await ctx.app.request(`/claim/${unknown}`), 404, 'NotFoundError')
      await expectError(await ctx.app.request('/claim/not-a-cid'), 400, 'BadRequest')
    })

    it('streams a retrieval journal batch; 404 unknown, 400 not a CID', async () => {
      const node = await ed25519.generate()
      const ran = await invoke({
        issuer: node,
        audience: node,
        capability: { can: 'space/content/retrieve', with: node.did() },
      }).delegate()
      const receipt = await Receipt.issue({ issuer: node, ran, result: { ok: {} } })
      await ctx.cradle.journal.append(receipt)
      const batch = await ctx.cradle.journal.forceRotate()
      if (batch === undefined) throw new Error('no batch')
      const res = await ctx.app.request(`/receipts/${batch}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/vnd.ipld.car')
      const body = Buffer.from(await res.arrayBuffer())
      const chunks: Uint8Array[] = []
      for await (const chunk of (await ctx.cradle.journal.getBatch(batch)).body) chunks.push(chunk)
      expect(body).toEqual(Buffer.concat(chunks))
      expect(res.headers.get('content-length')).toBe(String(body.length))
      const head = await ctx.app.request(`/receipts/${batch}`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-length')).toBe(String(body.length))
      expect((await head.arrayBuffer()).byteLength).toBe(0)
      const unknown = CID.createV1(0x0202, await sha256.digest(bytesOf('none')))
      await expectError(await ctx.app.request(`/receipts/${unknown}`), 404, 'NotFoundError')
      await expectError(await ctx.app.request('/receipts/%00'), 400, 'BadRequest')
    })
  })
})
