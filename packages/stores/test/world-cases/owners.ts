import type { DID } from '@ucanto/interface'
import { base58btc } from 'multiformats/bases/base58'
import { describe, expect, it } from 'vitest'
import { randomCid } from '../fixtures.js'
import { bytes, did, type WorldContext } from './context.js'

const z = (digest: { bytes: Uint8Array }) => base58btc.encode(digest.bytes)

/** OwnerStore cases. */
export function ownerCases(ctx: WorldContext): void {
  describe('OwnerStore', () => {
    it('adds memberships once, answers stat and lists page by page', async () => {
      const w = await ctx.make()
      const owner = did()
      const stored = []
      for (let i = 0; i < 5; i++) stored.push(await w.blobs.add(bytes(10 + i)))
      for (const blob of stored) expect(await w.owners.add(owner, blob)).toBe(true)
      expect(await w.owners.add(owner, stored[0] as (typeof stored)[0])).toBe(false)
      expect(await w.owners.has(owner, (stored[0] as (typeof stored)[0]).digest)).toBe(true)
      expect(await w.owners.stat(owner)).toEqual({ did: owner, blobs: 5, bytes: 60, labels: 0 })
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await w.owners.list(owner, { limit: 2, ...(cursor ? { cursor } : {}) })
        seen.push(...page.blobs.map((blob) => `${z(blob.digest)}:${blob.size}`))
        cursor = page.cursor
      } while (cursor)
      expect(seen.sort()).toEqual(stored.map((blob) => `${z(blob.digest)}:${blob.size}`).sort())
      expect(await w.owners.stat(did())).toEqual(expect.objectContaining({ blobs: 0, bytes: 0, labels: 0 }))
    })

    it('refuses a membership of content that is not stored, and a bad DID, writing nothing', async () => {
      const w = await ctx.make()
      const owner = did()
      const missing = await w.blobs.add(bytes())
      await w.blobs.delete(missing.digest)
      await expect(w.owners.add(owner, missing)).rejects.toMatchObject({ name: 'ContentNotFoundError' })
      expect(await w.owners.has(owner, missing.digest)).toBe(false)
      await expect(w.owners.add('did:nope', missing)).rejects.toMatchObject({ name: 'InvalidDidError' })
      await expect(w.owners.stat('not a did/..')).rejects.toMatchObject({ name: 'InvalidDidError' })
    })

    it("wipes an owner's labels, acceptances, allocations and memberships, and nothing of others", async () => {
      const w = await ctx.make()
      const [owner, other] = [did(), did()]
      const mine = await w.blobs.add(bytes())
      const shared = await w.blobs.add(bytes())
      await w.owners.add(owner, mine)
      await w.owners.add(owner, shared)
      await w.owners.add(other, shared)
      await w.content.setLabel('mine', mine.digest, { owner })
      await w.content.setLabel('theirs', shared.digest, { owner: other })
      await w.content.setLabel('nobody', shared.digest)
      const cause = await randomCid()
      for (const space of [owner, other] as DID[]) {
        await w.acceptances.put({ space, blob: shared, executedAt: 1, cause })
        await w.allocations.put({ space, blob: shared, expires: 4_000_000_000, cause })
      }
      expect(await w.owners.stat(owner)).toMatchObject({ blobs: 2, labels: 1 })
      expect(await w.owners.wipe(owner)).toEqual({
        did: owner,
        blobs: 2,
        labels: 1,
        acceptances: 1,
        allocations: 1,
      })
      expect(await w.owners.stat(owner)).toEqual({ did: owner, blobs: 0, bytes: 0, labels: 0 })
      expect(await w.labels.find('mine')).toBeUndefined()
      expect((await w.labels.get('theirs')).owner).toBe(other)
      expect(await w.labels.find('nobody')).toBeDefined()
      expect(await w.owners.stat(other)).toMatchObject({ blobs: 1, labels: 1 })
      expect((await w.acceptances.getAny(shared.digest)).space).toBe(other)
      expect((await w.allocations.getAny(shared.digest)).space).toBe(other)
      expect(await w.owners.wipe(owner)).toEqual({
        did: owner,
        blobs: 0,
        labels: 0,
        acceptances: 0,
        allocations: 0,
      })
    })

    it('leaves a label alone that another owner took over before the wipe', async () => {
      const w = await ctx.make()
      const [first, second] = [did(), did()]
      const blob = await w.blobs.add(bytes())
      await w.content.setLabel('moved', blob.digest, { owner: first })
      await w.content.setLabel('moved', blob.digest, { owner: second })
      expect(await w.owners.stat(first)).toMatchObject({ labels: 0 })
      await w.owners.wipe(first)
      expect((await w.labels.get('moved')).owner).toBe(second)
    })

    it('reads as wiped from the marker on, and rolls an interrupted wipe forward', async () => {
      const w = await ctx.make()
      const owner = did()
      const blob = await w.blobs.add(bytes())
      await w.owners.add(owner, blob)
      await w.content.setLabel('owned', blob.digest, { owner })
      // a wipe cut short right after its marker: the marker alone, as a crash would leave it
      const marker = new TextEncoder().encode('{}')
      await w.backends.records.put(`owners/wipes/${owner}`, marker.byteLength, marker)
      expect(await w.owners.isWiping(owner)).toBe(true)
      expect(await w.owners.stat(owner)).toEqual({ did: owner, blobs: 0, bytes: 0, labels: 0 })
      expect(await w.owners.list(owner)).toEqual({ blobs: [] })
      expect(await w.owners.finishWipes()).toEqual([owner])
      expect(await w.owners.isWiping(owner)).toBe(false)
      expect(await w.labels.find('owned')).toBeUndefined()
      const again = await w.blobs.add(bytes())
      await w.backends.records.put(`owners/wipes/${owner}`, marker.byteLength, marker)
      // the next add finishes the wipe first, then adds
      expect(await w.owners.add(owner, again)).toBe(true)
      expect(await w.owners.isWiping(owner)).toBe(false)
      expect(await w.owners.stat(owner)).toMatchObject({ blobs: 1 })
    })
  })
}
