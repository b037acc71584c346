import { randomBytes } from 'node:crypto'
import { type ContentRef, formatRef, type Label, LabelStore, parseRef, sameRef } from '@strata/stores/label'
import { describe, expect, it } from 'vitest'
import { randomCid, randomDigest } from '../fixtures.js'
import { keysUnder, type SuiteContext } from './context.js'

const WRITERS = 12

/** LabelStore cases, on the suite's backend; each case in a namespace of its own. */
export function labelCases(ctx: SuiteContext): void {
  const fresh = () => {
    const namespace = `labels-${randomBytes(6).toString('hex')}`
    return { namespace, labels: new LabelStore({ backend: ctx.backend(), namespace }) }
  }
  const refOf = (label: Label | undefined) => (label === undefined ? undefined : formatRef(label.ref))

  describe('LabelStore', () => {
    it('round-trips the names Theater and ATProto stores use, CID and multihash refs, owners', async () => {
      const { labels } = fresh()
      const cid = await randomCid()
      const digest = await randomDigest()
      const names = [
        'did:plc:abc:chain-head',
        'actor/123/head',
        'repo:did:plc:ewvi7nxzyoun6zhxrhs64oiz',
        'é/日本/🙂',
      ]
      for (const name of names) {
        const written = await labels.set(name, name.startsWith('actor') ? digest : cid, {
          owner: 'did:plc:abc',
        })
        const read = await labels.get(name)
        expect(read).toEqual(written)
        expect(read.name).toBe(name)
        expect(read.owner).toBe('did:plc:abc')
        expect(sameRef(read.ref, name.startsWith('actor') ? digest : cid)).toBe(true)
        expect(read.updatedAt).toBeInstanceOf(Date)
      }
      expect(formatRef((await labels.get('actor/123/head')).ref)).toBe(formatRef(digest))
      expect((await labels.get('did:plc:abc:chain-head')).ref.toString()).toBe(cid.toString())
    })

    it('stores each label under the base32hex of its UTF-8 name', async () => {
      const { namespace, labels } = fresh()
      await labels.set('actor/123/head', await randomDigest())
      expect(await keysUnder(ctx.backend(), `${namespace}/`)).toEqual([
        `${namespace}/c5hn8rri5soj4cpfd1im2p0`,
      ])
    })

    it('accepts a 512-byte name and refuses bad names, writing nothing', async () => {
      const { namespace, labels } = fresh()
      const ref = await randomDigest()
      const longest = 'é'.repeat(256)
      await labels.set(longest, ref)
      expect((await labels.get(longest)).name).toBe(longest)
      const bad: Array<[string, RegExp]> = [
        ['', /empty/],
        [`${longest}x`, /513 bytes, over 512/],
        ['a\u0000b', /U\+0000/],
        ['line\nbreak', /U\+000A/],
        ['del\u007f', /U\+007F/],
        ['c1\u0085', /U\+0085/],
        ['lone\ud800', /well-formed/],
      ]
      for (const [name, reason] of bad) {
        await expect(labels.set(name, ref)).rejects.toMatchObject({ name: 'InvalidLabelNameError', reason })
        await expect(labels.get(name)).rejects.toMatchObject({ name: 'InvalidLabelNameError' })
      }
      expect(await keysUnder(ctx.backend(), `${namespace}/`)).toHaveLength(1)
    })

    it('refuses a ref that is neither a CID nor a multihash, and a bad owner', async () => {
      const { labels } = fresh()
      await expect(labels.set('x', { bytes: 'nope' } as unknown as ContentRef)).rejects.toMatchObject({
        name: 'InvalidRefError',
      })
      await expect(labels.set('x', await randomDigest(), { owner: 'not a did' })).rejects.toMatchObject({
        name: 'InvalidDidError',
      })
      expect(await labels.find('x')).toBeUndefined()
    })

    it('gives every write a new version, even of the same ref', async () => {
      const { labels } = fresh()
      const ref = await randomDigest()
      const versions = new Set<string>()
      for (let i = 0; i < 5; i++) versions.add((await labels.set('same', ref)).version)
      expect(versions.size).toBe(5)
    })

    it("creates with ifVersion null only when the label doesn't exist", async () => {
      const { labels } = fresh()
      const first = await labels.set('new', await randomDigest(), { ifVersion: null })
      await expect(labels.set('new', await randomDigest(), { ifVersion: null })).rejects.toMatchObject({
        name: 'LabelConflictError',
        expected: null,
        current: first.version,
      })
      expect(await labels.get('new')).toEqual(first)
    })

    it('replaces with ifVersion only at that version, reporting the current one', async () => {
      const { labels } = fresh()
      const v1 = await labels.set('cas', await randomDigest())
      const v2 = await labels.set('cas', await randomDigest(), { ifVersion: v1.version })
      await expect(labels.set('cas', await randomDigest(), { ifVersion: v1.version })).rejects.toMatchObject({
        name: 'LabelConflictError',
        expected: v1.version,
        current: v2.version,
      })
      await expect(
        labels.set('missing', await randomDigest(), { ifVersion: v1.version }),
      ).rejects.toMatchObject({
        name: 'LabelConflictError',
        current: null,
      })
      expect(await labels.get('cas')).toEqual(v2)
      expect(await labels.find('missing')).toBeUndefined()
    })

    it('deletes: idempotently without ifVersion, only at the version with it; then recreates', async () => {
      const { labels } = fresh()
      const v1 = await labels.set('gone', await randomDigest())
      const v2 = await labels.set('gone', await randomDigest())
      await expect(labels.delete('gone', { ifVersion: v1.version })).rejects.toMatchObject({
        name: 'LabelConflictError',
        current: v2.version,
      })
      expect(await labels.delete('gone', { ifVersion: v2.version })).toBe(true)
      await expect(labels.get('gone')).rejects.toMatchObject({ name: 'LabelNotFoundError', label: 'gone' })
      expect(await labels.delete('gone')).toBe(false)
      await expect(labels.delete('gone', { ifVersion: v2.version })).rejects.toMatchObject({
        name: 'LabelConflictError',
        current: null,
      })
      const again = await labels.set('gone', await randomDigest(), { ifVersion: null })
      expect(await labels.get('gone')).toEqual(again)
      expect(await labels.delete('gone')).toBe(true)
      expect((await labels.list()).labels).toEqual([])
    })

    it(`lets exactly one of ${WRITERS} concurrent compare-and-swaps win`, async () => {
      const { labels } = fresh()
      const base = await labels.set('raced', await randomDigest())
      const refs = await Promise.all(Array.from({ length: WRITERS }, () => randomDigest()))
      const outcomes = await Promise.allSettled(
        refs.map((ref) => labels.set('raced', ref, { ifVersion: base.version })),
      )
      const winners = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
      expect(winners).toHaveLength(1)
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toMatchObject({ name: 'LabelConflictError', expected: base.version })
        }
      }
      expect(refOf(await labels.find('raced'))).toBe(refOf(winners[0]))
    })

    it(`lets exactly one of ${WRITERS} concurrent creators win`, async () => {
      const { labels } = fresh()
      const refs = await Promise.all(Array.from({ length: WRITERS }, () => randomDigest()))
      const outcomes = await Promise.allSettled(
        refs.map((ref) => labels.set('created', ref, { ifVersion: null })),
      )
      const winners = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
      expect(winners).toHaveLength(1)
      expect(refOf(await labels.find('created'))).toBe(refOf(winners[0]))
    })

    it('lists by prefix in byte order, page by page, without deleted labels', async () => {
      const { labels } = fresh()
      const names = ['actor/1/head', 'actor/10/head', 'actor/2/head', 'actor/é', 'actor/日本', 'actress', 'b']
      for (const name of [...names].reverse()) await labels.set(name, await randomDigest())
      await labels.set('actor/deleted', await randomDigest())
      await labels.delete('actor/deleted')
      const all = (await labels.list()).labels.map((label) => label.name)
      expect(all).toEqual(names)
      expect((await labels.list('actor/')).labels.map((label) => label.name)).toEqual(names.slice(0, 5))
      expect((await labels.list('actor/1')).labels.map((label) => label.name)).toEqual(names.slice(0, 2))
      expect((await labels.list('actor/日')).labels.map((label) => label.name)).toEqual(['actor/日本'])
      expect((await labels.list('zz')).labels).toEqual([])
      const paged: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = await labels.list('', { limit: 2, ...(cursor === undefined ? {} : { cursor }) })
        expect(page.labels.length).toBeLessThanOrEqual(2)
        paged.push(...page.labels.map((label) => label.name))
        cursor = page.cursor
        pages++
      } while (cursor !== undefined)
      expect(paged).toEqual(names)
      expect(pages).toBe(4)
      await expect(labels.list('', { limit: 0 })).rejects.toThrow(RangeError)
    })

    it('yields every label under a prefix from entries()', async () => {
      const { labels } = fresh()
      for (const name of ['a/1', 'a/2', 'b/1']) await labels.set(name, await randomDigest())
      const seen: string[] = []
      for await (const label of labels.entries('a/')) seen.push(label.name)
      expect(seen.sort()).toEqual(['a/1', 'a/2'])
    })

    it('reverts a write exactly, unless the label moved since', async () => {
      const { labels } = fresh()
      const before = await labels.set('undo', await randomDigest(), { owner: 'did:plc:abc' })
      const after = await labels.set('undo', await randomDigest(), { ifVersion: before.version })
      expect(await labels.revert('undo', after.version, before)).toBe(true)
      expect(await labels.get('undo')).toEqual(before)
      expect(await labels.revert('undo', after.version, undefined)).toBe(false)
      const created = await labels.set('fresh', await randomDigest(), { ifVersion: null })
      expect(await labels.revert('fresh', created.version, undefined)).toBe(true)
      expect(await labels.find('fresh')).toBeUndefined()
    })

    it('records a previous ref until settled; settling keeps the version, and a swap at it still holds', async () => {
      const { labels } = fresh()
      const before = await labels.set('move', await randomDigest())
      const next = await randomDigest()
      const moving = await labels.set('move', next, { ifVersion: before.version, previous: before.ref })
      expect((await labels.get('move')).previous).toEqual(before.ref)
      const { previous, ...plain } = moving
      expect(previous).toEqual(before.ref)
      expect(await labels.settle('move', moving.version)).toStrictEqual(plain)
      expect(await labels.get('move')).toStrictEqual(plain)
      expect(await labels.settle('move', moving.version)).toBeUndefined()
      expect(await labels.settle('move', 'another version')).toBeUndefined()
      // a writer holding the version read before the settle still wins its compare-and-swap
      const after = await labels.set('move', await randomDigest(), { ifVersion: moving.version })
      expect((await labels.get('move')).version).toBe(after.version)
    })

    it('reads a ref written as text back the same', async () => {
      const { labels } = fresh()
      for (const text of [
        'zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4',
        'QmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4',
        'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e',
      ]) {
        await labels.set('text', parseRef(text))
        expect(formatRef((await labels.get('text')).ref)).toBe(text)
      }
    })
  })
}
