/**
 * The GC soak (issue 16, "Done when"): for a fixed number of rounds, a collector runs in a loop while
 * uploads (allocation, upload, acceptance, membership), unowned adds, CAR imports, label flips (to
 * any content ever stored, collected or not) and owner wipes go on. Every writer records what it
 * did in a ledger, independently of the collector's marking; afterwards every blob the ledger says
 * is reachable must read back byte-identical, and, once one more collection has run past the grace
 * period, every other blob must be gone.
 */
import { randomBytes } from 'node:crypto'
import { carOf, cborBlock, rawBlock } from '@strata/car/testing/data'
import { formatRef } from '@strata/stores/label'
import type { DID } from '@ucanto/interface'
import { base58btc } from 'multiformats/bases/base58'
import type { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { sha256 } from 'multiformats/hashes/sha2'
import { randomCid } from '../fixtures.js'
import type { World } from '../world.js'
import { readAll } from '../world-cases/context.js'

/** The shape of a soak run. */
export interface SoakOptions {
  rounds: number
  /** Operations per worker per round. */
  uploads: number
  cars: number
  flips: number
  graceMs: number
}

/** What a soak did and found. */
export interface SoakReport {
  rounds: number
  gcRuns: number
  deletedDuringSoak: number
  keptBySecondMark: number
  uploads: number
  carImports: number
  importsRefused: number
  flips: number
  flipsRefused: number
  wipes: number
  reachableChecked: number
  blocksChecked: number
  finalDeleted: number
  lost: string[]
  leftOver: string[]
}

interface Blob {
  bytes: Uint8Array
  digest: MultihashDigest
}

const z = (digest: MultihashDigest) => base58btc.encode(digest.bytes)
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T
/** What a reference to content that is gone, or going, is refused with. */
const REFUSED = ['ContentNotFoundError', 'ContentCollectingError']
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function soak(w: World, options: SoakOptions): Promise<SoakReport> {
  const report = { rounds: options.rounds, gcRuns: 0, deletedDuringSoak: 0, keptBySecondMark: 0 }
  const counts = { uploads: 0, carImports: 0, importsRefused: 0, flips: 0, flipsRefused: 0, wipes: 0 }
  // the ledger
  const content = new Map<string, Blob>() // every blob ever stored, by z digest
  const held = new Map<string, Set<string>>() // owner → z digests it holds (memberships, acceptances)
  const cars = new Map<string, { index: MultihashDigest; blocks: { cid: CID; bytes: Uint8Array }[] }>()
  const blockCar = new Map<string, string>() // block CID → z digest of its CAR
  const labels = new Map<string, { ref: MultihashDigest | CID; keeps: string }>() // name → ref, z digest it keeps
  const wiped = new Set<string>()
  const targets: Array<MultihashDigest | CID> = []
  const ownersOf = (round: number) => [0, 1].map((i) => `did:plc:soak${round}x${i}`)
  const hold = (owner: string, key: string) => {
    const set = held.get(owner) ?? new Set<string>()
    held.set(owner, set)
    set.add(key)
  }

  const upload = async (round: number) => {
    const bytes = new Uint8Array(randomBytes(100 + Math.floor(Math.random() * 1900)))
    const digest = await sha256.digest(bytes)
    const owner = pick(ownersOf(round))
    const blob = { digest, size: bytes.byteLength }
    const cause = await randomCid()
    const kind = Math.random()
    if (kind < 0.5) {
      // Piri's flow, as the routes run it: allocate, upload, accept (+ membership, confirmed)
      const expires = Math.floor(Date.now() / 1000) + 3600
      await w.allocations.put({ space: owner as DID, blob, expires, cause })
      await w.blobs.put(digest, bytes.byteLength, bytes)
      await w.acceptances.put({ space: owner as DID, blob, executedAt: 1, cause })
      await w.owners.add(owner, blob)
      hold(owner, z(digest))
    } else if (kind < 0.75) {
      // an upload whose allocation expired and which was never accepted: garbage
      await w.allocations.put({ space: owner as DID, blob, expires: 1, cause })
      await w.blobs.put(digest, bytes.byteLength, bytes)
    } else {
      // content added through staging, nothing referencing it: garbage
      await w.blobs.add(bytes)
    }
    content.set(z(digest), { bytes, digest })
    targets.push(digest)
    counts.uploads++
  }

  const importCar = async (round: number) => {
    const leaves = [rawBlock(randomBytes(300)), rawBlock(randomBytes(500))]
    const root = cborBlock({ leaves: leaves.map((leaf) => leaf.cid), nonce: randomBytes(8) })
    const bytes = carOf([root.cid], [root, ...leaves])
    const imported = await w.cars.importCar(bytes)
    const key = z(imported.digest)
    content.set(key, { bytes, digest: imported.digest })
    cars.set(key, { index: imported.index.multihash, blocks: [root, ...leaves] })
    for (const block of [root, ...leaves]) blockCar.set(block.cid.toString(), key)
    if (Math.random() < 0.7) {
      const owner = pick(ownersOf(round))
      try {
        await w.owners.add(owner, { digest: imported.digest, size: imported.size })
        hold(owner, key)
      } catch (error) {
        // a CAR that looked old enough to collect before its owner named it (S3 keeps whole seconds)
        if (!REFUSED.includes((error as { name?: string }).name ?? '')) throw error
        counts.importsRefused++
      }
    }
    targets.push(root.cid, pick(leaves).cid)
    counts.carImports++
  }

  const flip = async (worker: number) => {
    if (targets.length === 0) {
      await sleep(5)
      return
    }
    const name = `soak/${worker}/${Math.floor(Math.random() * 6)}`
    const ref = Math.random() < 0.5 ? pick(targets.slice(-20)) : pick(targets)
    try {
      await w.content.setLabel(name, ref)
      const keeps = 'code' in ref && !('version' in ref) ? z(ref) : (blockCar.get(ref.toString()) as string)
      labels.set(name, { ref, keeps })
    } catch (error) {
      if (!REFUSED.includes((error as { name?: string }).name ?? '')) throw error
      counts.flipsRefused++
    }
    counts.flips++
  }

  const wipe = async (round: number) => {
    for (const owner of ownersOf(round)) {
      await w.owners.wipe(owner)
      wiped.add(owner)
      counts.wipes++
    }
  }

  /** What the ledger says is reachable now: held by an owner not wiped, labelled, and a live CAR's index. */
  const reachableNow = () => {
    const reachable = new Set<string>()
    for (const [owner, keys] of held) if (!wiped.has(owner)) for (const key of keys) reachable.add(key)
    for (const label of labels.values()) reachable.add(label.keeps)
    for (const key of [...reachable]) {
      const car = cars.get(key)
      if (car) reachable.add(z(car.index))
    }
    return reachable
  }
  const indexes = new Map<string, MultihashDigest>()
  const lost: string[] = []
  let checked = 0
  let blocksChecked = 0
  /** Reads back everything reachable (while the collector keeps running): bytes, CAR blocks, labels. */
  const verify = async () => {
    for (const car of cars.values()) indexes.set(z(car.index), car.index)
    const reachable = reachableNow()
    for (const key of reachable) {
      checked++
      const index = indexes.get(key)
      if (index) {
        if (!(await w.blobs.has(index))) lost.push(`index ${key}`)
        continue
      }
      const expected = content.get(key) as Blob
      const stored = await w.blobs.get(expected.digest).then(
        ({ body }) => readAll(body),
        () => undefined,
      )
      if (stored === undefined || !stored.equals(expected.bytes)) lost.push(key)
      for (const block of cars.get(key)?.blocks ?? []) {
        const read = await w.cars.getBlock(block.cid).catch(() => undefined)
        if (read === undefined || !Buffer.from(read).equals(block.bytes)) lost.push(`block ${block.cid}`)
        blocksChecked++
      }
    }
    for (const [name, label] of labels) {
      const stored = await w.labels.find(name)
      if (stored === undefined || formatRef(stored.ref) !== formatRef(label.ref)) lost.push(`label ${name}`)
    }
    return reachable
  }

  let collecting = true
  const collector = (async () => {
    while (collecting) {
      const result = await w.gc.gc()
      report.gcRuns++
      report.deletedDuringSoak += result.deleted
      report.keptBySecondMark += result.kept
      await sleep(10)
    }
  })()
  const times = async (count: number, task: () => Promise<void>) => {
    for (let i = 0; i < count; i++) await task()
  }
  try {
    for (let round = 0; round < options.rounds; round++) {
      await Promise.all([
        times(options.uploads, () => upload(round)),
        times(options.uploads, () => upload(round)),
        times(options.cars, () => importCar(round)),
        times(options.flips, () => flip(0)),
        times(options.flips, () => flip(1)),
        round > 0 ? wipe(round - 1) : Promise.resolve(),
      ])
      await verify()
      await sleep(options.graceMs / 2)
    }
  } finally {
    collecting = false
    await collector
  }

  const reachable = await verify()
  // past the grace period, one more collection: only the reachable blobs are left
  await sleep(options.graceMs + 1100)
  const final = await w.gc.gc()
  const leftOver: string[] = []
  for await (const digest of w.blobs.list()) if (!reachable.has(z(digest))) leftOver.push(z(digest))
  return {
    ...report,
    ...counts,
    reachableChecked: checked,
    blocksChecked,
    finalDeleted: final.deleted,
    lost,
    leftOver,
  }
}
