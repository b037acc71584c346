import { randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import type { SuiteContext } from './context.js'
import { randomKey, readAll, utf8 } from './data.js'

const WRITERS = 12

/** Compare-and-swap: `ifMatch` / `ifNoneMatch`, alone and with concurrent writers. */
export function conditionalCases(ctx: SuiteContext): void {
  const text = async (key: string) => Buffer.from(await readAll((await ctx.store.get(key)).body)).toString()

  it("creates with ifNoneMatch '*' only when nothing is stored", async () => {
    const key = randomKey()
    await ctx.store.put(key, 3, utf8('one'), { ifNoneMatch: '*' })
    await expect(ctx.store.put(key, 3, utf8('two'), { ifNoneMatch: '*' })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      key,
      condition: 'if-none-match',
    })
    expect(await text(key)).toBe('one')
  })

  it('replaces with ifMatch only while the etag is current', async () => {
    const key = randomKey()
    await ctx.store.put(key, 2, utf8('v1'))
    const { etag } = await ctx.store.stat(key)
    await ctx.store.put(key, 2, utf8('v2'), { ifMatch: etag })
    await expect(ctx.store.put(key, 2, utf8('v3'), { ifMatch: etag })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      condition: 'if-match',
    })
    expect(await text(key)).toBe('v2')
    await ctx.store.put(key, 2, utf8('v4'), { ifMatch: (await ctx.store.stat(key)).etag })
    expect(await text(key)).toBe('v4')
  })

  it('refuses ifMatch on a missing key, and stores nothing', async () => {
    const key = randomKey()
    await expect(ctx.store.put(key, 1, utf8('x'), { ifMatch: 'abc' })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
    })
    await ctx.expectAbsent(key)
  })

  it('keeps the object and its etag when a conditional put fails on its body', async () => {
    const key = randomKey()
    await ctx.store.put(key, 3, utf8('old'))
    const { etag } = await ctx.store.stat(key)
    await expect(ctx.store.put(key, 9, utf8('short'), { ifMatch: etag })).rejects.toMatchObject({
      name: 'TooSmallError',
    })
    expect((await ctx.store.stat(key)).etag).toBe(etag)
    expect(await text(key)).toBe('old')
  })

  it(`lets exactly one of ${WRITERS} concurrent writers with the same etag win`, async () => {
    const key = randomKey()
    await ctx.store.put(key, 4, utf8('base'))
    const { etag } = await ctx.store.stat(key)
    const bodies = Array.from({ length: WRITERS }, () => randomBytes(16).toString('hex'))
    const outcomes = await Promise.allSettled(
      bodies.map((body) => ctx.store.put(key, body.length, utf8(body), { ifMatch: etag })),
    )
    const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [bodies[i]] : []))
    expect(winners).toHaveLength(1)
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected')
        expect(outcome.reason).toMatchObject({ name: 'PreconditionFailedError' })
    }
    expect(await text(key)).toBe(winners[0])
  })

  it(`lets exactly one of ${WRITERS} concurrent creators win`, async () => {
    const key = randomKey()
    const bodies = Array.from({ length: WRITERS }, () => randomBytes(16).toString('hex'))
    const outcomes = await Promise.allSettled(
      bodies.map((body) => ctx.store.put(key, body.length, utf8(body), { ifNoneMatch: '*' })),
    )
    const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [bodies[i]] : []))
    expect(winners).toHaveLength(1)
    expect(await text(key)).toBe(winners[0])
  })
}
