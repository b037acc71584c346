import type { BlobStore } from '@strata/blobstore'
import type { CarStore } from '@strata/car'
import type { IOOptions } from '@strata/objectstore'
import { decode as decodeDigestKey } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { Acceptances } from '../acceptance/index.js'
import type { Allocations } from '../allocation/index.js'
import { eachLimited } from '../internal/limited.js'
import type { Labels } from '../label/store.js'
import type { OwnerStore } from '../owner/store.js'
import type { Condemned } from './condemned.js'
import { keyOf, type ReferenceGuard } from './guard.js'
import type { HeldLease, Lease } from './lease.js'
import { type Marks, mark } from './mark.js'

/** Options for {@link GarbageCollector}. */
export interface GarbageCollectorOptions {
  /** The blobs to collect (listed, statted, deleted; staging objects are never listed). */
  blobs: BlobStore
  /** Imported CARs: their records are read, and a collected CAR goes with its index and entries. */
  cars: CarStore
  labels: Labels
  owners: OwnerStore
  /** Acceptances keep their blobs. Default: none. */
  acceptances?: Acceptances
  /** Allocations keep their blobs until they expire (asked per unreferenced blob). Default: none. */
  allocations?: Allocations
  /** Condemned marks, shared by every instance. */
  condemned: Condemned
  /** The lease one collector at a time holds, shared by every instance. */
  lease: Lease
  /** Resolves label refs to blobs (the same resolution writers confirm with). */
  guard: ReferenceGuard
  /** Unreferenced blobs younger than this are kept, in ms. Default 1 h. */
  graceMs?: number
  /** Size-target mode: collect only while the blobs hold more than this many bytes. Default 0 (off). */
  targetBytes?: number
  /** Stats and deletions in flight at once. Default 16. */
  concurrency?: number
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number
}

/** Options of one {@link GarbageCollector.gc} run; each overrides the collector's own. */
export interface GcOptions extends IOOptions {
  /** Mark and scan, report what would be deleted, delete nothing. Default false. */
  dryRun?: boolean
  graceMs?: number
  targetBytes?: number
}

/** What a run did (in a dry run, `deleted` and `bytesFreed` are what it would have done). */
export interface GcResult {
  /** Blobs listed. */
  scanned: number
  /** Blobs something references. */
  live: number
  /** Unreferenced blobs kept for being younger than the grace period (or of unknown age). */
  young: number
  deleted: number
  bytesFreed: number
  /** Blobs condemned, then found referenced by the second mark (a reference written meanwhile). */
  kept: number
  /** CAR records whose CAR was gone, removed with their entries. */
  repaired: number
  /** Size-target mode: the bytes the blobs held when the run began. */
  storedBytes?: number
  /** Size-target mode: why nothing was collected. */
  skipped?: 'below-target'
  dryRun: boolean
  durationMs: number
}

interface Candidate {
  digest: MultihashDigest
  size: number
  at: number
  /** The index blob of this CAR, deleted with it. */
  index?: MultihashDigest
}

/**
 * Mark-and-sweep garbage collection of a blob store. A run:
 * 1. takes the lease (one collector at a time across instances; `GcLeaseHeldError` otherwise) and
 *    clears the condemned marks a crashed run left;
 * 2. marks what is referenced (see `mark`);
 * 3. lists the blobs: an unmarked blob older than the grace period is a candidate (uploads in
 *    flight are staging objects or temporary files, never listed; a blob younger than the grace
 *    period, or whose age the backend does not keep, is never a candidate);
 * 4. condemns the candidates (and the index blobs of candidate CARs), marks again, and deletes the
 *    candidates the second mark did not reach — a CAR with its location entries, records and index
 *    blob — removing each mark once decided (see `ReferenceGuard` for the writers' side).
 * The lease is checked before every deletion: a collector that lost it stops at once.
 */
export class GarbageCollector {
  readonly #options: GarbageCollectorOptions
  readonly #now: () => number

  constructor(options: GarbageCollectorOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  /**
   * One run.
   * @throws {GcLeaseHeldError} another collector is running.
   * @throws {GcLeaseLostError} the lease was lost mid-run (the run stopped before its next deletion).
   */
  async gc(options: GcOptions = {}): Promise<GcResult> {
    const started = this.#now()
    const lease = await this.#options.lease.acquire(io(options))
    const signal = options.signal ? AbortSignal.any([options.signal, lease.signal]) : lease.signal
    const run = lease.holder
    const condemned = new Set<Candidate>()
    try {
      await this.#clearMarks({ signal })
      const result = await this.#run(options, lease, run, condemned, { signal })
      return { ...result, durationMs: this.#now() - started }
    } finally {
      await Promise.allSettled([...condemned].map((candidate) => this.#pardon(candidate)))
      await lease.release()
    }
  }

  async #run(
    options: GcOptions,
    lease: HeldLease,
    run: string,
    condemned: Set<Candidate>,
    signal: IOOptions,
  ): Promise<Omit<GcResult, 'durationMs'>> {
    const { blobs } = this.#options
    const dryRun = options.dryRun ?? false
    const graceMs = options.graceMs ?? this.#options.graceMs ?? 3_600_000
    const target = options.targetBytes ?? this.#options.targetBytes ?? 0
    const concurrency = this.#options.concurrency ?? 16
    const result = { scanned: 0, live: 0, young: 0, deleted: 0, bytesFreed: 0, kept: 0, repaired: 0, dryRun }
    const first = await mark(this.#sources(), signal)
    const cutoff = this.#now() - graceMs
    const candidates: Candidate[] = []
    let stored = 0
    await eachLimited(blobs.list(signal), concurrency, async (digest) => {
      const live = first.live.has(keyOf(digest))
      if (live && target === 0) {
        result.scanned++
        result.live++
        return
      }
      const stat = await blobs.stat(digest, signal).catch((error: unknown) => {
        if ((error as { name?: unknown }).name === 'NotFoundError') return undefined
        throw error
      })
      if (stat === undefined) return // deleted since it was listed
      result.scanned++
      stored += stat.size
      if (live) result.live++
      else if (stat.lastModified === undefined || stat.lastModified.getTime() > cutoff) result.young++
      else if (await this.#allocated(digest, signal)) result.live++
      else
        candidates.push({
          digest,
          size: stat.size,
          at: stat.lastModified.getTime(),
          ...indexOf(first, digest),
        })
    })
    const sized = target > 0 ? { storedBytes: stored } : {}
    if (target > 0 && stored <= target) return { ...result, ...sized, skipped: 'below-target' }
    if (target > 0) candidates.sort((a, b) => a.at - b.at)
    if (dryRun) {
      for (const candidate of candidates) {
        if (target > 0 && stored <= target) break
        result.deleted++
        result.bytesFreed += candidate.size
        stored -= candidate.size
      }
      return { ...result, ...sized }
    }
    if (candidates.length > 0) {
      await eachLimited(candidates, concurrency, async (candidate) => {
        lease.assertHeld()
        condemned.add(candidate)
        await this.#condemn(candidate, run, signal)
      })
      const second = await mark(this.#sources(), signal)
      const sweep = async (candidate: Candidate) => {
        lease.assertHeld()
        const kept =
          second.live.has(keyOf(candidate.digest)) || (await this.#allocated(candidate.digest, signal))
        if (kept) result.kept++
        else if (target === 0 || stored > target) {
          await this.#delete(candidate, second, signal)
          result.deleted++
          result.bytesFreed += candidate.size
          stored -= candidate.size
        }
        await this.#pardon(candidate)
        condemned.delete(candidate)
      }
      if (target > 0) for (const candidate of candidates) await sweep(candidate)
      else await eachLimited(candidates, concurrency, sweep)
    }
    result.repaired = await this.#repair(first, lease, signal)
    return { ...result, ...sized }
  }

  /** Removes the records of imported CARs whose blob is gone (deleted by other means). */
  async #repair(marks: Marks, lease: HeldLease, signal: IOOptions): Promise<number> {
    const { blobs, cars } = this.#options
    let repaired = 0
    await eachLimited(marks.cars.keys(), this.#options.concurrency ?? 16, async (key) => {
      const car = digestOfKey(key)
      if (await blobs.has(car, signal)) return
      lease.assertHeld()
      if ((await cars.getCar(car, signal)) === undefined) return
      await cars.deleteCar(car, signal)
      repaired++
    })
    return repaired
  }

  async #condemn(candidate: Candidate, run: string, signal: IOOptions): Promise<void> {
    await this.#options.condemned.add(candidate.digest, run, signal)
    if (candidate.index) await this.#options.condemned.add(candidate.index, run, signal)
  }

  async #pardon(candidate: Candidate): Promise<void> {
    await this.#options.condemned.remove(candidate.digest)
    if (candidate.index) await this.#options.condemned.remove(candidate.index)
  }

  async #delete(candidate: Candidate, marks: Marks, signal: IOOptions): Promise<void> {
    if (marks.cars.has(keyOf(candidate.digest))) await this.#options.cars.deleteCar(candidate.digest, signal)
    else await this.#options.blobs.delete(candidate.digest, signal)
  }

  /** Holding the lease, no other collector is alive: every mark left is a crashed run's. */
  async #clearMarks(signal: IOOptions): Promise<void> {
    for await (const { digest } of this.#options.condemned.list(signal)) {
      await this.#options.condemned.remove(digest, signal)
    }
  }

  /** Whether an allocation not expired now keeps `digest` (asked only of blobs nothing else keeps). */
  async #allocated(digest: MultihashDigest, signal: IOOptions): Promise<boolean> {
    const { allocations } = this.#options
    if (allocations === undefined) return false
    try {
      await allocations.getAnyNonExpired(digest, Math.floor(this.#now() / 1000), signal)
      return true
    } catch (error) {
      if ((error as { name?: unknown }).name === 'NotFoundError') return false
      throw error
    }
  }

  #sources() {
    const { cars, labels, owners, guard, acceptances } = this.#options
    return { cars, labels, owners, guard, acceptances }
  }
}

/** `{ index }` of a CAR candidate (its index blob, condemned and deleted with it). */
function indexOf(marks: Marks, digest: MultihashDigest): { index?: MultihashDigest } {
  const index = marks.cars.get(keyOf(digest))
  return index === undefined || marks.live.has(keyOf(index)) ? {} : { index }
}

function digestOfKey(key: string): MultihashDigest {
  return decodeDigestKey(Buffer.from(key, 'latin1'))
}

function io(options: IOOptions): IOOptions {
  return options.signal ? { signal: options.signal } : {}
}
