import { CarBlockIterator } from '@ipld/car'
import { carOf, cborBlock, type TestBlock } from '@strata/car/testing/data'
import type { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { did, readAll, type WorldContext } from './context.js'

/** A commit CAR: `commit` → `{ data, prev }`, holding the commit and its new data block only (a diff). */
function commit(text: string, prev: TestBlock | null, extra: TestBlock[] = []) {
  const data = cborBlock({ text, nonce: Math.random() })
  const block = cborBlock({ data: data.cid, prev: prev?.cid ?? null, ...(prev ? { old: prev.cid } : {}) })
  return { commit: block, data, car: carOf([block.cid], [block, data, ...extra]) }
}

async function cidsOf(car: Uint8Array): Promise<string[]> {
  const cids: string[] = []
  for await (const block of await CarBlockIterator.fromBytes(car)) cids.push(block.cid.toString())
  return cids.sort()
}

const text = (cid: CID) => cid.toString()

/** RepoStore: imports with head compare-and-swap, export, delete. */
export function repoCases(ctx: WorldContext): void {
  describe('RepoStore', () => {
    it('imports a first commit, then a diff based on it; exports the whole DAG across CARs', async () => {
      const w = await ctx.make()
      const repo = did()
      const one = commit('one', null)
      const first = await w.repos.importRepo(repo, one.car, { since: null })
      expect(text(first.head)).toBe(text(one.commit.cid))
      expect(first).toMatchObject({ did: repo, size: one.car.byteLength, blocks: 2, created: true })
      const two = commit('two', one.commit)
      const second = await w.repos.importRepo(repo, two.car, { since: first.head })
      expect(text((await w.repos.getRepoHead(repo)).head)).toBe(text(two.commit.cid))
      expect(second.version).not.toBe(first.version)
      const exported = await readAll(w.repos.exportRepo(repo))
      expect(await cidsOf(exported)).toEqual(
        [one.commit, one.data, two.commit, two.data].map((block) => text(block.cid)).sort(),
      )
      expect(await w.owners.stat(repo)).toMatchObject({ blobs: 2, labels: 1 })
    })

    it('refuses a stale since: the head stays, and nothing names the imported CAR', async () => {
      const w = await ctx.make()
      const repo = did()
      const one = commit('one', null)
      const base = await w.repos.importRepo(repo, one.car)
      const two = commit('two', one.commit)
      const moved = await w.repos.importRepo(repo, two.car, { since: base.head })
      const stale = commit('stale', one.commit)
      const error = await w.repos.importRepo(repo, stale.car, { since: base.head }).catch((e: unknown) => e)
      expect(error).toMatchObject({
        name: 'RepoBaseMismatchError',
        did: repo,
        expected: text(base.head),
        current: text(moved.head),
      })
      expect(text((await w.repos.getRepoHead(repo)).head)).toBe(text(moved.head))
      await expect(w.repos.importRepo(repo, stale.car, { since: null })).rejects.toMatchObject({
        name: 'RepoBaseMismatchError',
        expected: null,
      })
      await expect(w.repos.importRepo(did(), stale.car, { since: base.head })).rejects.toMatchObject({
        name: 'RepoBaseMismatchError',
        current: null,
      })
      expect(await w.owners.stat(repo)).toMatchObject({ blobs: 2 })
    })

    it('lets exactly one of two racing imports with the same since move the head', async () => {
      const w = await ctx.make()
      const repo = did()
      const one = commit('one', null)
      const base = await w.repos.importRepo(repo, one.car, { since: null })
      const racers = [commit('a', one.commit), commit('b', one.commit)]
      const outcomes = await Promise.allSettled(
        racers.map((racer) => w.repos.importRepo(repo, racer.car, { since: base.head })),
      )
      const won = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [racers[i]] : []))
      expect(won).toHaveLength(1)
      const lost = outcomes.find((outcome) => outcome.status === 'rejected')
      expect(lost?.status === 'rejected' && lost.reason).toMatchObject({ name: 'RepoBaseMismatchError' })
      const winner = won[0] as (typeof racers)[0]
      expect(text((await w.repos.getRepoHead(repo)).head)).toBe(text(winner.commit.cid))
      const page = await w.owners.list(repo)
      expect(page.blobs).toHaveLength(2) // the first commit's CAR and the winner's
    })

    it('never moves the head for a CAR that fails to import or is not a commit', async () => {
      const w = await ctx.make()
      const repo = did()
      const one = commit('one', null)
      const base = await w.repos.importRepo(repo, one.car)
      const bad = commit('bad', one.commit)
      const corrupt = new Uint8Array(bad.car)
      corrupt[corrupt.byteLength - 1] = (corrupt[corrupt.byteLength - 1] as number) ^ 1
      await expect(w.repos.importRepo(repo, corrupt, { since: base.head })).rejects.toMatchObject({
        name: 'DigestMismatchError',
      })
      await expect(
        w.repos.importRepo(repo, corrupt.subarray(0, 20), { since: base.head }),
      ).rejects.toMatchObject({
        name: 'CarFormatError',
      })
      const two = commit('two', one.commit)
      const twoRoots = carOf([two.commit.cid, two.data.cid], [two.commit, two.data])
      await expect(w.repos.importRepo(repo, twoRoots, { since: base.head })).rejects.toMatchObject({
        name: 'RepoCarError',
      })
      const rootless = carOf([cborBlock({ elsewhere: true }).cid], [two.data])
      await expect(w.repos.importRepo(repo, rootless)).rejects.toMatchObject({ name: 'RepoCarError' })
      expect((await w.repos.getRepoHead(repo)).version).toBe(base.version)
      expect(await w.owners.stat(repo)).toMatchObject({ blobs: 1 })
      await expect(w.repos.importRepo('did:bad', one.car)).rejects.toMatchObject({ name: 'InvalidDidError' })
    })

    it("keeps every CAR of a repo through collection, and lets deleteRepo's CARs go", async () => {
      const w = await ctx.make()
      const repo = did()
      const one = commit('one', null)
      const base = await w.repos.importRepo(repo, one.car)
      await w.repos.importRepo(repo, commit('two', one.commit).car, { since: base.head })
      expect(await w.gc.gc()).toMatchObject({ scanned: 4, live: 4, deleted: 0 })
      expect(await w.repos.deleteRepo(repo)).toMatchObject({ blobs: 2, labels: 1 })
      await expect(w.repos.getRepoHead(repo)).rejects.toMatchObject({ name: 'RepoNotFoundError', did: repo })
      await expect(readAll(w.repos.exportRepo(repo))).rejects.toMatchObject({ name: 'RepoNotFoundError' })
      expect(await w.gc.gc()).toMatchObject({ scanned: 4, live: 0, deleted: 4 })
      for await (const _ of w.cars.cars()) throw new Error('a CAR record survived its collection')
    })
  })
}
