import { carOf } from '@strata/car/testing/data'
import { beforeEach, describe, expect, it } from 'vitest'
import { auth, BACKENDS, type ContentCtx, car, commitCar, useContentCtx } from '../helpers/content-ctx.js'
import { expectError } from '../helpers/http-write-fixtures.js'

const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'

describe.each(BACKENDS)('repos routes on %s', (backend) => {
  const current = useContentCtx(backend)
  let ctx: ContentCtx
  beforeEach(() => {
    ctx = current()
  })
  const put = (body: Uint8Array, headers: Record<string, string> = {}) =>
    ctx.app.request(`/repos/${did}`, { method: 'PUT', headers: { ...car, ...headers }, body })
  const head = async () =>
    ((await (await ctx.app.request(`/repos/${did}/head`)).json()) as { head: string }).head

  it('creates a repo, moves its head with If-Match, exports the head DAG, deletes it', async () => {
    const one = commitCar('one', null)
    const created = await put(one.bytes, { 'if-none-match': '*' })
    expect(created.status).toBe(201)
    expect(await created.json()).toMatchObject({ did, head: one.commit.cid.toString(), blocks: 2 })
    expect(created.headers.get('etag')).toBe(`"${one.commit.cid}"`)
    const two = commitCar('two', one.commit)
    const moved = await put(two.bytes, { 'if-match': `"${one.commit.cid}"` })
    expect(moved.status).toBe(200)
    expect(await head()).toBe(two.commit.cid.toString())
    const exported = await ctx.app.request(`/repos/${did}`)
    expect(exported.status).toBe(200)
    expect(exported.headers.get('content-type')).toBe('application/vnd.ipld.car')
    expect(exported.headers.get('etag')).toBe(`"${two.commit.cid}"`)
    const bytes = Buffer.from(await exported.arrayBuffer())
    for (const block of [one.commit, one.data, two.commit, two.data]) {
      expect(bytes.includes(Buffer.from(block.bytes)), block.cid.toString()).toBe(true)
    }
    await expectError(await ctx.app.request(`/repos/${did}`, { method: 'DELETE' }), 401, 'Unauthorized')
    const deleted = await ctx.app.request(`/repos/${did}`, { method: 'DELETE', headers: auth })
    expect(await deleted.json()).toMatchObject({ did, blobs: 2, labels: 1 })
    await expectError(await ctx.app.request(`/repos/${did}/head`), 404, 'RepoNotFoundError')
    await expectError(await ctx.app.request(`/repos/${did}`), 404, 'RepoNotFoundError')
  })

  it('lets exactly one of two racing PUTs with the same If-Match win; the loser gets 412', async () => {
    const one = commitCar('one', null)
    await put(one.bytes)
    for (let round = 0; round < 5; round++) {
      const base = await head()
      const racers = [commitCar(`a${round}`, null), commitCar(`b${round}`, null)]
      const answers = await Promise.all(racers.map((racer) => put(racer.bytes, { 'if-match': `"${base}"` })))
      const statuses = answers.map((answer) => answer.status).sort()
      expect(statuses).toEqual([200, 412])
      const winner = racers[answers.findIndex((answer) => answer.status === 200)]
      const loser = answers.find((answer) => answer.status === 412) as Response
      expect(loser.headers.get('etag')).toBe(`"${winner?.commit.cid}"`)
      expect(((await loser.json()) as { error: { name: string } }).error.name).toBe('RepoBaseMismatchError')
      expect(await head()).toBe(winner?.commit.cid.toString())
    }
    expect(await (await ctx.app.request(`/owners/${did}`)).json()).toMatchObject({ blobs: 6 })
  })

  it('never moves the head for a CAR that fails to import, or is not a commit', async () => {
    const one = commitCar('one', null)
    await put(one.bytes)
    const base = await head()
    const bad = commitCar('bad', one.commit).bytes
    const corrupt = new Uint8Array(bad)
    corrupt[corrupt.byteLength - 1] = (corrupt[corrupt.byteLength - 1] as number) ^ 1
    await expectError(await put(corrupt, { 'if-match': `"${base}"` }), 409, 'DigestMismatchError')
    await expectError(await put(bad.subarray(0, 30)), 400, 'CarFormatError')
    const two = commitCar('two', one.commit)
    await expectError(
      await put(carOf([two.commit.cid, two.data.cid], [two.commit, two.data])),
      400,
      'RepoCarError',
    )
    await expectError(await put(two.bytes, { 'if-match': '"not-a-cid"' }), 400, 'BadRequest', /if-match/)
    await expectError(await put(two.bytes, { 'if-none-match': '*' }), 412, 'RepoBaseMismatchError')
    await expectError(
      await ctx.app.request(`/repos/${did}`, { method: 'PUT', headers: auth, body: two.bytes }),
      415,
      'UnsupportedMediaType',
    )
    await expectError(
      await ctx.app.request(`/repos/${did}`, {
        method: 'PUT',
        headers: { 'content-type': car['content-type'] },
        body: two.bytes,
      }),
      401,
      'Unauthorized',
    )
    await expectError(
      await ctx.app.request('/repos/nope', { method: 'PUT', headers: car, body: two.bytes }),
      400,
      'InvalidDidError',
    )
    expect(await head()).toBe(base)
    expect(await (await ctx.app.request(`/owners/${did}`)).json()).toMatchObject({ blobs: 1 })
  })
})
