import { randomBytes } from 'node:crypto'
import { carOf, sampleDag } from '@strata/car/testing/data'
import { sha256 } from 'multiformats/hashes/sha2'
import { beforeEach, describe, expect, it } from 'vitest'
import { auth, BACKENDS, type ContentCtx, car, json, useContentCtx, z } from '../helpers/content-ctx.js'
import { expectError } from '../helpers/http-write-fixtures.js'

const space = 'did:key:z6MkrZ1r5XBFZjBU34qyD8fueMbMRkKw17BZaq2ivKFjnz2z'

describe.each(BACKENDS)('owners and gc routes on %s', (backend) => {
  const current = useContentCtx(backend, { graceMs: 0 })
  let ctx: ContentCtx
  beforeEach(() => {
    ctx = current()
  })

  /** What POST /acceptances needs: the blob stored and allocated for the space; then the acceptance. */
  async function accepted(size = 50) {
    const bytes = new Uint8Array(randomBytes(size))
    const digest = await sha256.digest(bytes)
    await ctx.cradle.blobs.put(digest, size, bytes)
    const blob = { digest, size }
    const cause = (await import('multiformats/cid')).CID.createV1(0x71, digest)
    await ctx.cradle.allocations.put({ space, blob, expires: Math.floor(Date.now() / 1000) + 60, cause })
    const res = await ctx.app.request('/acceptances', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ space, blob: { digest: z(digest), size } }),
    })
    expect(res.status).toBe(201)
    return digest
  }

  it("records an acceptance as the space's membership: stat, blobs; the wipe removes it all", async () => {
    const digests = [await accepted(50), await accepted(70)]
    const stat = await (await ctx.app.request(`/owners/${space}`)).json()
    expect(stat).toEqual({ did: space, blobs: 2, bytes: 120, labels: 0 })
    const page = (await (await ctx.app.request(`/owners/${space}/blobs?limit=1`)).json()) as {
      blobs: { digest: string; size: number }[]
      cursor: string
    }
    expect(page.blobs).toHaveLength(1)
    const rest = (await (await ctx.app.request(`/owners/${space}/blobs?cursor=${page.cursor}`)).json()) as {
      blobs: { digest: string }[]
      cursor?: string
    }
    expect([...page.blobs, ...rest.blobs].map((blob) => blob.digest).sort()).toEqual(digests.map(z).sort())
    expect(rest.cursor).toBeUndefined()
    await expectError(await ctx.app.request(`/owners/${space}`, { method: 'DELETE' }), 401, 'Unauthorized')
    const wiped = await ctx.app.request(`/owners/${space}`, { method: 'DELETE', headers: auth })
    expect(await wiped.json()).toEqual({ did: space, blobs: 2, labels: 0, acceptances: 2, allocations: 2 })
    expect(await (await ctx.app.request(`/owners/${space}`)).json()).toMatchObject({ blobs: 0, bytes: 0 })
    expect(await ctx.cradle.acceptances.has(digests[0] as never)).toBe(false)
    await expectError(await ctx.app.request('/owners/not-a-did'), 400, 'InvalidDidError')
    await expectError(await ctx.app.request(`/owners/${space}/blobs?limit=x`), 400, 'BadRequest', /limit/)
  })

  it('collects on POST /gc: a dry run first, then for real; keeps what is referenced', async () => {
    const kept = await accepted()
    const garbage = await ctx.cradle.blobs.add(new Uint8Array(randomBytes(80)))
    await expectError(await ctx.app.request('/gc', { method: 'POST' }), 401, 'Unauthorized')
    await expectError(
      await ctx.app.request('/gc?dryRun=maybe', { method: 'POST', headers: auth }),
      400,
      'BadRequest',
    )
    const dry = await (await ctx.app.request('/gc?dryRun=1', { method: 'POST', headers: auth })).json()
    expect(dry).toMatchObject({ scanned: 2, live: 1, deleted: 1, bytesFreed: 80, dryRun: true })
    expect(await ctx.cradle.blobs.has(garbage.digest)).toBe(true)
    const real = await (await ctx.app.request('/gc', { method: 'POST', headers: auth })).json()
    expect(real).toMatchObject({ scanned: 2, live: 1, young: 0, deleted: 1, bytesFreed: 80, dryRun: false })
    expect(await ctx.cradle.blobs.has(garbage.digest)).toBe(false)
    expect(await ctx.cradle.blobs.has(kept)).toBe(true)
  })
})

describe.each(BACKENDS)('POST /car?owner= on %s', (backend) => {
  const current = useContentCtx(backend, { graceMs: 0 })
  const owner = 'did:plc:carowner'

  it("makes the imported CAR the owner's: stat counts it, gc keeps it until the owner is wiped", async () => {
    const ctx = current()
    const { root, blocks } = sampleDag()
    const bytes = carOf([root], blocks)
    const res = await ctx.app.request(`/car?owner=${owner}`, { method: 'POST', headers: car, body: bytes })
    expect(res.status).toBe(201)
    const { digest, size } = (await res.json()) as { digest: string; size: number }
    expect(size).toBe(bytes.byteLength)
    expect(await (await ctx.app.request(`/owners/${owner}`)).json()).toMatchObject({ blobs: 1, bytes: size })
    const page = (await (await ctx.app.request(`/owners/${owner}/blobs`)).json()) as {
      blobs: { digest: string }[]
    }
    expect(page.blobs.map((blob) => blob.digest)).toEqual([digest])
    // held: a collection keeps the CAR (and its index archive) and its blocks stay readable
    await ctx.app.request('/gc', { method: 'POST', headers: auth })
    expect((await ctx.app.request(`/block/${root}`)).status).toBe(200)
    // the owner wiped, the CAR is garbage
    await ctx.app.request(`/owners/${owner}`, { method: 'DELETE', headers: auth })
    const collected = (await (await ctx.app.request('/gc', { method: 'POST', headers: auth })).json()) as {
      deleted: number
    }
    expect(collected.deleted).toBeGreaterThanOrEqual(1)
    expect((await ctx.app.request(`/block/${root}`)).status).toBe(404)
  })

  it('refuses an owner that is not a DID with 400, before storing anything', async () => {
    const ctx = current()
    const { root, blocks } = sampleDag()
    const res = await ctx.app.request('/car?owner=nobody', {
      method: 'POST',
      headers: car,
      body: carOf([root], blocks),
    })
    await expectError(res, 400, 'InvalidDidError')
    expect((await ctx.app.request(`/block/${root}`)).status).toBe(404)
    const records = []
    for await (const record of ctx.cradle.cars.cars()) records.push(record)
    expect(records).toEqual([])
  })
})

describe('POST /gc within the grace period (default 1 h)', () => {
  const current = useContentCtx('memory')
  it('deletes nothing young', async () => {
    const ctx = current()
    await ctx.cradle.blobs.add(new Uint8Array(randomBytes(10)))
    const result = await (await ctx.app.request('/gc', { method: 'POST', headers: auth })).json()
    expect(result).toMatchObject({ scanned: 1, live: 0, young: 1, deleted: 0 })
  })
})
