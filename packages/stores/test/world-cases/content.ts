import { formatRef, parseRef } from '@strata/stores/label'
import { describe, expect, it } from 'vitest'
import { randomCid, randomDigest } from '../fixtures.js'
import { bytes, did, readAll, type WorldContext } from './context.js'

/** ContentStore: Theater's label operations, guarded label writes, owned labels. */
export function contentCases(ctx: WorldContext): void {
  describe('ContentStore', () => {
    it("maps Theater's operations: store_at_label, replace_content_at_label, remove_from_label", async () => {
      const w = await ctx.make()
      const first = await w.content.storeAtLabel('actor/123/state', bytes(32))
      expect(formatRef((await w.content.getByLabel('actor/123/state')) as never)).toBe(formatRef(first.ref))
      const second = await w.content.replaceContentAtLabel('actor/123/state', bytes(32))
      expect(second.label.version).not.toBe(first.label.version)
      expect(formatRef((await w.content.getByLabel('actor/123/state')) as never)).toBe(formatRef(second.ref))
      // remove_from_label: only while the label still points there
      expect(await w.content.removeFromLabel('actor/123/state', first.ref)).toBe(false)
      expect(await w.content.getByLabel('actor/123/state')).toBeDefined()
      expect(await w.content.removeFromLabel('actor/123/state', second.ref)).toBe(true)
      expect(await w.content.getByLabel('actor/123/state')).toBeUndefined()
      await expect(w.content.replaceContentAtLabel('actor/123/state', bytes())).rejects.toMatchObject({
        name: 'LabelNotFoundError',
      })
      const stored = await readAll((await w.blobs.get(second.ref)).body)
      expect(stored.byteLength).toBe(32)
    })

    it('labels existing content, replaces the ref, removes the label', async () => {
      const w = await ctx.make()
      const a = await w.content.store(bytes())
      const b = await w.content.store(bytes())
      const labelled = await w.content.label('did:plc:abc:chain-head', a)
      const moved = await w.content.replaceAtLabel('did:plc:abc:chain-head', b)
      expect(moved.version).not.toBe(labelled.version)
      await expect(w.content.replaceAtLabel('missing', b)).rejects.toMatchObject({
        name: 'LabelNotFoundError',
      })
      expect(await w.content.removeLabel('did:plc:abc:chain-head')).toBe(true)
      expect(await w.content.removeLabel('did:plc:abc:chain-head')).toBe(false)
    })

    it('resolves store:<label> and store:hash:<digest or CID>, refusing anything else', async () => {
      const w = await ctx.make()
      const ref = await w.content.store(bytes())
      await w.content.label('actor/123/head', ref)
      expect(formatRef(await w.content.resolve('store:actor/123/head'))).toBe(formatRef(ref))
      expect(formatRef(await w.content.resolve(`store:hash:${formatRef(ref)}`))).toBe(formatRef(ref))
      const cid = await randomCid()
      expect(String(await w.content.resolve(`store:hash:${cid}`))).toBe(String(cid))
      await expect(w.content.resolve('store:missing')).rejects.toMatchObject({ name: 'LabelNotFoundError' })
      await expect(w.content.resolve('http://x')).rejects.toMatchObject({ name: 'InvalidUriError' })
      await expect(w.content.resolve('store:')).rejects.toMatchObject({ name: 'InvalidUriError' })
      await expect(w.content.resolve('store:hash:nope')).rejects.toMatchObject({ name: 'InvalidRefError' })
      await expect(w.content.resolve('store:a\u0000b')).rejects.toMatchObject({
        name: 'InvalidLabelNameError',
      })
    })

    it('refuses a label of content that is not stored and leaves the label as it was', async () => {
      const w = await ctx.make()
      const stored = await w.content.store(bytes())
      const before = await w.content.setLabel('kept', stored)
      await expect(w.content.setLabel('kept', await randomDigest())).rejects.toMatchObject({
        name: 'ContentNotFoundError',
      })
      await expect(w.content.setLabel('new', await randomCid())).rejects.toMatchObject({
        name: 'ContentNotFoundError',
      })
      expect(await w.labels.get('kept')).toEqual(before)
      expect(await w.labels.find('new')).toBeUndefined()
    })

    it('compare-and-swaps on the version, reporting the current one', async () => {
      const w = await ctx.make()
      const ref = await w.content.store(bytes())
      const created = await w.content.setLabel('cas', ref, { ifVersion: null })
      await expect(w.content.setLabel('cas', ref, { ifVersion: null })).rejects.toMatchObject({
        name: 'LabelConflictError',
        current: created.version,
      })
      const next = await w.content.setLabel('cas', ref, { ifVersion: created.version })
      await expect(w.content.deleteLabel('cas', { ifVersion: created.version })).rejects.toMatchObject({
        name: 'LabelConflictError',
        current: next.version,
      })
      expect(await w.content.deleteLabel('cas', { ifVersion: next.version })).toBe(true)
      await expect(w.content.deleteLabel('cas', { ifVersion: next.version })).rejects.toMatchObject({
        current: null,
      })
    })

    it("makes an owned label's content the owner's, and counts the label", async () => {
      const w = await ctx.make()
      const owner = did()
      const { digest, size } = await w.blobs.add(bytes(77))
      await w.content.setLabel('owned', digest, { owner })
      expect(await w.owners.stat(owner)).toEqual({ did: owner, blobs: 1, bytes: 77, labels: 1 })
      await w.content.deleteLabel('owned')
      expect(await w.owners.stat(owner)).toEqual({ did: owner, blobs: 1, bytes: size, labels: 0 })
      const text = formatRef(digest)
      expect(formatRef(parseRef(text))).toBe(text)
    })
  })
}
