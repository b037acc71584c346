import { randomBytes } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { beforeEach, describe, expect, it } from 'vitest'
import { auth, BACKENDS, type ContentCtx, json, useContentCtx, z } from '../helpers/content-ctx.js'
import { expectError } from '../helpers/http-write-fixtures.js'

describe.each(BACKENDS)('labels routes on %s', (backend) => {
  const current = useContentCtx(backend)
  let ctx: ContentCtx
  beforeEach(() => {
    ctx = current()
  })
  const stored = async () => z((await ctx.cradle.blobs.add(new Uint8Array(randomBytes(40)))).digest)
  const put = (name: string, body: unknown, headers: Record<string, string> = {}) =>
    ctx.app.request(`/labels/${name}`, {
      method: 'PUT',
      headers: { ...json, ...headers },
      body: JSON.stringify(body),
    })
  const etag = (res: Response) => res.headers.get('etag')?.replace(/"/g, '') ?? ''

  it('creates with If-None-Match: *, moves with If-Match, answers 412 with the current version', async () => {
    const [a, b] = [await stored(), await stored()]
    const created = await put('actor/123/head', { ref: a }, { 'if-none-match': '*' })
    expect(created.status).toBe(201)
    const first = (await created.json()) as { name: string; ref: string; version: string; updatedAt: string }
    expect(first).toMatchObject({ name: 'actor/123/head', ref: a })
    expect(etag(created)).toBe(first.version)
    const again = await put('actor/123/head', { ref: b }, { 'if-none-match': '*' })
    await expectError(again.clone(), 412, 'LabelConflictError')
    expect(etag(again)).toBe(first.version)
    const moved = await put('actor/123/head', { ref: b }, { 'if-match': `"${first.version}"` })
    expect(moved.status).toBe(200)
    const stale = await put('actor/123/head', { ref: a }, { 'if-match': `"${first.version}"` })
    await expectError(stale.clone(), 412, 'LabelConflictError', /expected at version/)
    expect(etag(stale)).toBe(etag(moved))
    const read = await ctx.app.request('/labels/actor/123/head')
    expect(read.status).toBe(200)
    expect(etag(read)).toBe(etag(moved))
    expect(((await read.json()) as { ref: string }).ref).toBe(b)
    // the same label with its slashes percent-encoded
    expect(
      ((await (await ctx.app.request('/labels/actor%2F123%2Fhead')).json()) as { ref: string }).ref,
    ).toBe(b)
  })

  it('round-trips did:plc:abc:chain-head and a CID ref, with an owner', async () => {
    const { digest } = await ctx.cradle.blobs.add(new Uint8Array(randomBytes(40)))
    await expectError(await put('did:plc:abc:chain-head', { ref: 'bafkreinotacid' }), 400, 'InvalidRefError')
    const raw = CID.createV1(0x55, digest).toString()
    const res = await put('did:plc:abc:chain-head', { ref: raw, owner: 'did:plc:abc' })
    expect(res.status).toBe(201)
    const got = (await (await ctx.app.request('/labels/did:plc:abc:chain-head')).json()) as Record<
      string,
      unknown
    >
    expect(got).toMatchObject({ name: 'did:plc:abc:chain-head', ref: raw, owner: 'did:plc:abc' })
    const owner = (await (await ctx.app.request('/owners/did:plc:abc')).json()) as Record<string, unknown>
    expect(owner).toMatchObject({ blobs: 1, bytes: 40, labels: 1 })
  })

  it('answers each bad input with its error, writing nothing', async () => {
    const ref = await stored()
    await expectError(
      await ctx.app.request('/labels/x', { method: 'PUT', body: JSON.stringify({ ref }) }),
      401,
      'Unauthorized',
    )
    await expectError(
      await ctx.app.request('/labels/x', { method: 'PUT', headers: auth, body: JSON.stringify({ ref }) }),
      415,
      'UnsupportedMediaType',
    )
    await expectError(await put('x', {}), 400, 'BadRequest', /ref/)
    await expectError(await put('x', { ref: 'zzz' }), 400, 'InvalidRefError')
    await expectError(await put('a%00b', { ref }), 400, 'InvalidLabelNameError', /U\+0000/)
    await expectError(await put(`${'x'.repeat(513)}`, { ref }), 400, 'InvalidLabelNameError', /513 bytes/)
    await expectError(await put('x', { ref, owner: 'someone' }), 400, 'InvalidDidError')
    await expectError(await put('x', { ref }, { 'if-match': '"v"', 'if-none-match': '*' }), 400, 'BadRequest')
    await expectError(await put('x', { ref }, { 'if-match': 'W/"v"' }), 400, 'BadRequest', /strong/)
    await expectError(await put('x', { ref }, { 'if-none-match': '"v"' }), 400, 'BadRequest')
    const missing = z((await ctx.cradle.blobs.add(new Uint8Array(randomBytes(8)))).digest)
    await ctx.app.request(`/blob/${missing}`, { method: 'DELETE', headers: auth })
    await expectError(await put('x', { ref: missing }), 422, 'ContentNotFoundError')
    await expectError(await ctx.app.request('/labels/x'), 404, 'LabelNotFoundError')
    await expectError(await ctx.app.request('/labels?limit=0'), 400, 'BadRequest', /limit/)
  })

  it('lists by prefix, page by page', async () => {
    const ref = await stored()
    for (const name of ['actor/1/head', 'actor/2/head', 'actor/3/head', 'other']) await put(name, { ref })
    const names: string[] = []
    let cursor: string | undefined
    do {
      const query = new URLSearchParams({ prefix: 'actor/', limit: '2', ...(cursor ? { cursor } : {}) })
      const page = (await (await ctx.app.request(`/labels?${query}`)).json()) as {
        labels: { name: string }[]
        cursor?: string
      }
      names.push(...page.labels.map((label) => label.name))
      cursor = page.cursor
    } while (cursor)
    expect(names).toEqual(['actor/1/head', 'actor/2/head', 'actor/3/head'])
  })

  it('deletes only at the If-Match version, idempotently without it', async () => {
    const ref = await stored()
    const v1 = etag(await put('gone', { ref }))
    const v2 = etag(await put('gone', { ref }))
    const del = (headers: Record<string, string> = {}) =>
      ctx.app.request('/labels/gone', { method: 'DELETE', headers: { ...auth, ...headers } })
    await expectError(await ctx.app.request('/labels/gone', { method: 'DELETE' }), 401, 'Unauthorized')
    const stale = await del({ 'if-match': `"${v1}"` })
    await expectError(stale.clone(), 412, 'LabelConflictError')
    expect(etag(stale)).toBe(v2)
    expect((await del({ 'if-match': `"${v2}"` })).status).toBe(204)
    await expectError(await ctx.app.request('/labels/gone'), 404, 'LabelNotFoundError')
    expect((await del()).status).toBe(204)
    await expectError(await del({ 'if-match': `"${v2}"` }), 412, 'LabelConflictError')
  })
})
