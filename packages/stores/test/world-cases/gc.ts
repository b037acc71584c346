import { carOf, cborBlock, rawBlock } from '@strata/car/testing/data'
import { Condemned, GarbageCollector, type GarbageCollectorOptions, Lease } from '@strata/stores/gc'
import { type Label, LabelStore } from '@strata/stores/label'
import type { DID } from '@ucanto/interface'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { randomCid } from '../fixtures.js'
import { ahead, bytes, did, type WorldContext } from './context.js'

const HOUR = 3_600_000

/** A two-block CAR: a dag-cbor root linking a raw leaf. */
function smallCar() {
  const leaf = rawBlock(bytes(200))
  const root = cborBlock({ leaf: leaf.cid, at: Date.now(), nonce: Math.random() })
  return { root, leaf, car: carOf([root.cid], [root, leaf]) }
}

/** GarbageCollector, Lease and the reference guard. */
export function gcCases(ctx: WorldContext): void {
  describe('GarbageCollector', () => {
    it('deletes what nothing references once older than the grace period, and keeps the rest', async () => {
      const w = await ctx.make({ graceMs: HOUR })
      const owner = did()
      const cause = await randomCid()
      const garbage = await w.blobs.add(bytes())
      const accepted = await w.blobs.add(bytes())
      const allocated = await w.blobs.add(bytes())
      const expired = await w.blobs.add(bytes())
      const labelled = await w.blobs.add(bytes())
      const owned = await w.blobs.add(bytes())
      const space = did() as DID
      await w.acceptances.put({ space, blob: accepted, executedAt: 1, cause })
      const hours = (count: number) => Math.floor(Date.now() / 1000) + count * 3600
      await w.allocations.put({ space, blob: allocated, expires: hours(3), cause })
      await w.allocations.put({ space, blob: expired, expires: hours(0) - 1, cause })
      await w.content.setLabel('kept', labelled.digest)
      await w.owners.add(owner, owned)
      // within the grace period: nothing unreferenced goes (allocations are asked about old blobs only)
      expect(await w.gc.gc()).toMatchObject({ scanned: 6, live: 3, young: 3, deleted: 0 })
      // two hours later (the collector's clock): the unreferenced blob and the expired allocation's go
      const result = await collector(w, { graceMs: HOUR, now: ahead(2 * HOUR) }).gc()
      expect(result).toMatchObject({ scanned: 6, live: 4, young: 0, deleted: 2, dryRun: false })
      expect(result.bytesFreed).toBe(2 * 64)
      for (const gone of [garbage, expired]) expect(await w.blobs.has(gone.digest)).toBe(false)
      for (const kept of [accepted, allocated, labelled, owned])
        expect(await w.blobs.has(kept.digest)).toBe(true)
      // four hours later, the live allocation has expired too
      const later = await collector(w, { graceMs: HOUR, now: ahead(4 * HOUR) }).gc()
      expect(later).toMatchObject({ live: 3, deleted: 1 })
      expect(await w.blobs.has(allocated.digest)).toBe(false)
    })

    it('reports without deleting in a dry run', async () => {
      const w = await ctx.make()
      const garbage = await w.blobs.add(bytes(100))
      const kept = await w.blobs.add(bytes())
      await w.content.setLabel('kept', kept.digest)
      expect(await w.gc.gc({ dryRun: true })).toMatchObject({
        scanned: 2,
        live: 1,
        deleted: 1,
        bytesFreed: 100,
        dryRun: true,
      })
      expect(await w.blobs.has(garbage.digest)).toBe(true)
      expect(await w.gc.gc()).toMatchObject({ deleted: 1, bytesFreed: 100, dryRun: false })
      expect(await w.blobs.has(garbage.digest)).toBe(false)
    })

    it('collects a CAR with its index blob, location entries and records; a live CAR keeps them', async () => {
      const w = await ctx.make()
      const dropped = smallCar()
      const kept = smallCar()
      const a = await w.cars.importCar(dropped.car)
      const b = await w.cars.importCar(kept.car)
      await w.content.setLabel('root', kept.root.cid) // a CID label: the CAR that has it as root
      const result = await w.gc.gc()
      expect(result).toMatchObject({ scanned: 4, live: 2, deleted: 2 })
      expect(await w.cars.getCar(a.digest)).toBeUndefined()
      expect(await w.blobs.has(a.index.multihash)).toBe(false)
      expect(await w.cars.hasBlock(dropped.leaf.cid)).toBe(false)
      expect(await w.cars.getCar(b.digest)).toBeDefined()
      expect(await w.blobs.has(b.index.multihash)).toBe(true)
      expect(Buffer.from(await w.cars.getBlock(kept.leaf.cid))).toEqual(Buffer.from(kept.leaf.bytes))
    })

    it('keeps a CAR whose index blob is referenced, and one holding a labelled block', async () => {
      const w = await ctx.make()
      const byIndex = smallCar()
      const byBlock = smallCar()
      const a = await w.cars.importCar(byIndex.car)
      const b = await w.cars.importCar(byBlock.car)
      await w.content.setLabel('index', a.index) // the index archive's CID (codec car)
      await w.content.setLabel('leaf', byBlock.leaf.cid) // a block inside the CAR
      expect(await w.gc.gc()).toMatchObject({ scanned: 4, live: 4, deleted: 0 })
      expect(await w.cars.hasBlock(byIndex.leaf.cid)).toBe(true)
      expect(await w.cars.getCar(b.digest)).toBeDefined()
    })

    it('in size-target mode collects nothing below the target, and the oldest first above it', async () => {
      const w = await ctx.make({ targetBytes: 10_000 })
      const first = await w.blobs.add(bytes(400))
      await new Promise((resolve) => setTimeout(resolve, 1100)) // S3 keeps whole seconds
      const second = await w.blobs.add(bytes(400))
      expect(await w.gc.gc()).toMatchObject({ skipped: 'below-target', storedBytes: 800, deleted: 0 })
      expect(await w.gc.gc({ targetBytes: 500 })).toMatchObject({
        storedBytes: 800,
        deleted: 1,
        bytesFreed: 400,
      })
      expect(await w.blobs.has(first.digest)).toBe(false)
      expect(await w.blobs.has(second.digest)).toBe(true)
    })

    it('runs one collector at a time: the second is refused while the lease is held', async () => {
      const w = await ctx.make()
      const held = await w.lease.acquire()
      await expect(w.gc.gc()).rejects.toMatchObject({ name: 'GcLeaseHeldError', holder: held.holder })
      await held.release()
      await expect(w.gc.gc()).resolves.toMatchObject({ deleted: 0 })
    })

    it("takes over a crashed collector's lease once it expires, and clears its condemned marks", async () => {
      const w = await ctx.make()
      let clock = Date.now()
      const lease = new Lease({
        backend: w.backends.records,
        key: 'gc/lease',
        durationMs: 1000,
        now: () => clock,
      })
      const crashed = await lease.acquire()
      const left = await w.blobs.add(bytes())
      await w.condemned.add(left.digest, crashed.holder) // left by the crashed run
      await expect(lease.acquire()).rejects.toMatchObject({ name: 'GcLeaseHeldError' })
      clock += 1001
      const next = await lease.acquire()
      expect(next.holder).not.toBe(crashed.holder)
      clock += 800 // past three quarters of the duration without a renewal: no longer safe to work
      expect(() => next.assertHeld()).toThrow(expect.objectContaining({ name: 'GcLeaseLostError' }))
      expect(() => crashed.assertHeld()).toThrow(expect.objectContaining({ name: 'GcLeaseLostError' }))
      await crashed.release()
      await next.release()
      // the world's own collector clears the crashed run's mark at its start (then collects the blob)
      expect(await w.gc.gc()).toMatchObject({ deleted: 1 })
      expect(await w.condemned.has(left.digest)).toBe(false)
    })

    it('keeps a blob a reference was written to between the first mark and the sweep', async () => {
      const w = await ctx.make()
      const late = await w.blobs.add(bytes())
      // a LabelStore whose listing, on the first mark, lets a writer label the blob meanwhile
      let hooked = false
      const labels = new LabelStore({ backend: w.backends.records, namespace: 'labels' })
      const entries = labels.entries.bind(labels)
      labels.entries = async function* (prefix?: string, options?: { signal?: AbortSignal }) {
        yield* entries(prefix, options)
        if (!hooked) {
          hooked = true
          await w.content.setLabel('late', late.digest)
        }
      } as typeof labels.entries
      const gc = collector(w, { labels })
      expect(await gc.gc()).toMatchObject({ deleted: 0, kept: 1 })
      expect(hooked).toBe(true)
      expect(await w.blobs.has(late.digest)).toBe(true)
      expect(await w.condemned.has(late.digest)).toBe(false)
    })
  })

  describe('ReferenceGuard', () => {
    it('lets a label write through once the collector keeps a condemned blob', async () => {
      const w = await ctx.make()
      const blob = await w.blobs.add(bytes())
      await w.condemned.add(blob.digest, 'run')
      const write = w.content.setLabel('waiting', blob.digest)
      await new Promise((resolve) => setTimeout(resolve, 150))
      await w.condemned.remove(blob.digest)
      await expect(write).resolves.toMatchObject({ name: 'waiting' })
    })

    it('refuses and undoes a label write to a blob the collector deletes meanwhile', async () => {
      const w = await ctx.make()
      const before = await w.blobs.add(bytes())
      const doomed = await w.blobs.add(bytes())
      const previous: Label = await w.content.setLabel('moving', before.digest)
      await w.condemned.add(doomed.digest, 'run')
      const write = w.content.setLabel('moving', doomed.digest)
      await new Promise((resolve) => setTimeout(resolve, 150))
      await w.blobs.delete(doomed.digest)
      await w.condemned.remove(doomed.digest)
      await expect(write).rejects.toMatchObject({ name: 'ContentNotFoundError' })
      expect(await w.labels.get('moving')).toEqual(previous)
    })

    it('keeps what a label pointed at until its move is decided, so undoing the move loses nothing', async () => {
      const w = await ctx.make()
      const before = await w.blobs.add(bytes())
      const previous: Label = await w.content.setLabel('moving', before.digest)
      const doomed = await w.blobs.add(bytes())
      await w.condemned.add(doomed.digest, 'earlier run')
      const write = w.content.setLabel('moving', doomed.digest)
      // the move is written, and waits on the condemned blob; meanwhile another run marks the label
      let moving = await w.labels.get('moving')
      for (let tries = 0; moving.version === previous.version && tries < 200; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 25))
        moving = await w.labels.get('moving')
      }
      expect(moving.previous?.bytes).toEqual(before.digest.bytes)
      const other = new Condemned({ backend: w.backends.records, prefix: 'gc/other/' })
      const run = await collector(w, { condemned: other }).gc()
      expect(run.deleted).toBe(0)
      await w.blobs.delete(doomed.digest)
      await w.condemned.remove(doomed.digest)
      await expect(write).rejects.toMatchObject({ name: 'ContentNotFoundError' })
      expect(await w.labels.get('moving')).toEqual(previous)
      expect(await w.blobs.has(before.digest)).toBe(true)
    })

    it('lets the previous content go once a move is confirmed', async () => {
      const w = await ctx.make()
      const before = await w.blobs.add(bytes())
      await w.content.setLabel('moved', before.digest)
      const after = await w.blobs.add(bytes())
      const moved = await w.content.setLabel('moved', after.digest)
      expect(moved.previous).toBeUndefined()
      expect(await w.labels.get('moved')).toEqual(moved)
      expect((await w.gc.gc()).deleted).toBe(1)
      expect(await w.blobs.has(before.digest)).toBe(false)
      expect(await w.blobs.has(after.digest)).toBe(true)
    })

    it('gives up after waitMs while the blob stays condemned: ContentCollectingError', async () => {
      const w = await ctx.make({ waitMs: 200 })
      const blob = await w.blobs.add(bytes())
      await w.condemned.add(blob.digest, 'run')
      await expect(w.content.setLabel('stuck', blob.digest)).rejects.toMatchObject({
        name: 'ContentCollectingError',
      })
      expect(await w.labels.find('stuck')).toBeUndefined()
      await expect(w.owners.add(did(), blob)).rejects.toMatchObject({ name: 'ContentCollectingError' })
    })

    it('resolves a CID to its raw blob, the CARs having it as root and the CARs holding it', async () => {
      const w = await ctx.make()
      const { root, leaf, car } = smallCar()
      const imported = await w.cars.importCar(car)
      const hex = (digests: { bytes: Uint8Array }[]) =>
        digests.map((d) => Buffer.from(d.bytes).toString('hex')).sort()
      expect(hex(await w.guard.confirm(root.cid))).toEqual(hex([imported.digest]))
      expect(hex(await w.guard.confirm(leaf.cid))).toEqual(hex([imported.digest]))
      const raw = await w.blobs.add(bytes())
      expect(hex(await w.guard.confirm(CID.createV1(0x55, raw.digest)))).toEqual(hex([raw.digest]))
      await expect(w.guard.confirm(await randomCid())).rejects.toMatchObject({ name: 'ContentNotFoundError' })
    })
  })
}

/** A collector over `w`'s stores, with other settings (another clock, another label source). */
function collector(
  w: Awaited<ReturnType<WorldContext['make']>>,
  overrides: Partial<GarbageCollectorOptions>,
) {
  return new GarbageCollector({
    blobs: w.blobs,
    cars: w.cars,
    labels: w.labels,
    owners: w.owners,
    acceptances: w.acceptances,
    allocations: w.allocations,
    condemned: w.condemned,
    lease: w.lease,
    guard: w.guard,
    graceMs: 0,
    ...overrides,
  })
}
