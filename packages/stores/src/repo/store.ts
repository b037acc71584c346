import type { Body } from '@strata/blobstore'
import type { CarStore, ImportResult } from '@strata/car'
import type { IOOptions } from '@strata/objectstore'
import { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { LabelConflictError, RepoBaseMismatchError, RepoCarError, RepoNotFoundError } from '../errors.js'
import type { ReferenceGuard } from '../gc/guard.js'
import { checkDid } from '../internal/did.js'
import type { Label, LabelStore } from '../label/store.js'
import type { OwnerStore, WipeResult } from '../owner/store.js'

/** Options for {@link RepoStore}. */
export interface RepoStoreOptions {
  /** Where the commits' CARs are imported. */
  cars: CarStore
  /** Where the heads live (label `repo:<did>`, owned by the DID). */
  labels: LabelStore
  /** Each repo's CARs are its DID's members; `deleteRepo` is the DID's wipe. */
  owners: OwnerStore
  /** Checks each head move and membership against garbage collection. */
  guard: ReferenceGuard
}

/** A repo's head: the root CID of its latest commit. */
export interface RepoHead {
  did: string
  head: CID
  /** The head label's version (changes with every move). */
  version: string
  updatedAt: Date
}

/** Options for {@link RepoStore.importRepo}. */
export interface ImportRepoOptions extends IOOptions {
  /**
   * The head the import is based on (compare-and-swap): the import applies only if the repo is at
   * this head; `null`: only if the repo does not exist. Absent: whatever the head is.
   */
  since?: CID | null
  /** The CAR's size in bytes, when known (the S3 backend sizes its upload parts from it). */
  size?: number
}

/** What {@link RepoStore.importRepo} answers. */
export interface ImportedRepo extends RepoHead {
  /** The imported CAR's sha2-256 multihash. */
  car: MultihashDigest
  size: number
  blocks: number
  /** False when that CAR had been imported before. */
  created: boolean
  /** The head it moved from; `null`: the import created the repo. */
  previous: CID | null
}

/** Attempts of an import without `since` racing with other imports. */
const ATTEMPTS = 8

/**
 * ATProto repos over CARs, as Indigo's carstore `RepoStore` serves Coves: each import is a CAR of a
 * commit (a full repo or a diff), the repo's head is the label `repo:<did>` (owned by the DID) naming
 * the commit's root, and it moves with compare-and-swap — the check Indigo leaves as a TODO. Every
 * CAR of a repo is a member of its DID (diffs need the CARs before them), so `deleteRepo` is the
 * DID's wipe. No I/O in the constructor.
 */
export class RepoStore {
  readonly #cars: CarStore
  readonly #labels: LabelStore
  readonly #owners: OwnerStore
  readonly #guard: ReferenceGuard

  constructor(options: RepoStoreOptions) {
    this.#cars = options.cars
    this.#labels = options.labels
    this.#owners = options.owners
    this.#guard = options.guard
  }

  /**
   * Imports a commit's CAR, then moves the head from `since` to the CAR's root. The CAR is imported
   * first (nothing points at it yet); the head moves with compare-and-swap; then the CAR becomes a
   * member of the DID. On a stale `since` the head does not move and nothing names the new CAR
   * (garbage collection reclaims it); a failed import never moves the head.
   * @throws {RepoBaseMismatchError} the repo is not at `since` (before or after the import).
   * @throws {RepoCarError} the CAR has not exactly one root, or its root block is not stored.
   * @throws the import's errors (`CarFormatError`, `DigestMismatchError`, …), nothing moved.
   * @throws {ContentCollectingError} the CAR was stored before and is being garbage-collected.
   */
  async importRepo(did: string, body: Body, options: ImportRepoOptions = {}): Promise<ImportedRepo> {
    checkDid(did)
    const io = signal(options)
    const before = await this.#labels.find(headLabel(did), io)
    checkSince(did, options.since, before)
    const imported = await this.#cars.importCar(body, {
      ...io,
      ...(options.size === undefined ? {} : { size: options.size }),
    })
    const [root, ...others] = imported.roots
    if (root === undefined || others.length > 0) {
      throw new RepoCarError(did, `a commit CAR has one root, this one has ${imported.roots.length}`)
    }
    if (!(await this.#cars.hasBlock(root, io)))
      throw new RepoCarError(did, `its root block ${root} is not stored`)
    await this.#guard.confirm(imported.digest, io)
    for (let attempt = 1; ; attempt++) {
      const current = attempt === 1 ? before : await this.#labels.find(headLabel(did), io)
      checkSince(did, options.since, current)
      if (current !== undefined) await this.#keepMembers(did, current.ref, io)
      await this.#owners.addLabel(did, headLabel(did), io)
      let moved: Label
      try {
        moved = await this.#labels.set(headLabel(did), root, {
          ...io,
          owner: did,
          ifVersion: current?.version ?? null,
        })
      } catch (error) {
        if (!(error instanceof LabelConflictError)) throw error
        if (options.since === undefined && attempt < ATTEMPTS) continue
        const now = await this.#labels.find(headLabel(did), io)
        throw new RepoBaseMismatchError(did, sinceText(options.since), now ? String(now.ref) : null, {
          cause: error,
        })
      }
      try {
        await this.#owners.add(did, { digest: imported.digest, size: imported.size }, io)
      } catch (error) {
        await this.#labels.revert(headLabel(did), moved.version, current, io).catch(() => {})
        throw error
      }
      const previous = current === undefined ? null : CID.asCID(current.ref)
      return { ...headOf(did, moved), ...importedOf(imported), previous }
    }
  }

  /** The repo's head. @throws {RepoNotFoundError} @throws {InvalidDidError} */
  async getRepoHead(did: string, options: IOOptions = {}): Promise<RepoHead> {
    const label = await this.#labels.find(headLabel(checkDid(did)), signal(options))
    if (label === undefined) throw new RepoNotFoundError(did)
    return headOf(did, label)
  }

  /**
   * A CARv1 of the repo at its head: the head's DAG, each block once (a stored CAR served as is when
   * it holds the whole DAG).
   * @throws {RepoNotFoundError} (at the first read) @throws {BlockNotFoundError} a block is missing.
   */
  async *exportRepo(did: string, options: IOOptions = {}): AsyncGenerator<Uint8Array> {
    const { head } = await this.getRepoHead(did, options)
    yield* this.#cars.exportCar(head, signal(options))
  }

  /** Deletes the repo: the DID's wipe (its head, its CARs' memberships; the CARs become garbage). */
  deleteRepo(did: string, options: IOOptions = {}): Promise<WipeResult> {
    return this.#owners.wipe(did, options)
  }

  /**
   * Makes sure the CARs of the current head are members (a crash between a head move and its
   * membership would otherwise let the next move orphan them): the roll-forward of an interrupted import.
   */
  async #keepMembers(did: string, head: unknown, io: IOOptions): Promise<void> {
    const cid = CID.asCID(head)
    if (cid === null) return
    for await (const car of this.#cars.carsWithRoot(cid, io)) {
      if (await this.#owners.has(did, car, io)) continue
      const record = await this.#cars.getCar(car, io)
      if (record !== undefined) await this.#owners.add(did, { digest: car, size: record.size }, io)
    }
  }
}

/** The label naming a repo's head. */
export function headLabel(did: string): string {
  return `repo:${did}`
}

function checkSince(did: string, since: CID | null | undefined, current: Label | undefined): void {
  if (since === undefined) return
  const head = current === undefined ? null : CID.asCID(current.ref)
  const matches = since === null ? current === undefined : head?.equals(since) === true
  if (!matches) throw new RepoBaseMismatchError(did, sinceText(since), current ? String(current.ref) : null)
}

function sinceText(since: CID | null | undefined): string | null {
  return since === undefined || since === null ? null : since.toString()
}

function headOf(did: string, label: Label): RepoHead {
  const head = CID.asCID(label.ref)
  if (head === null) throw new RepoCarError(did, 'its head label does not name a CID')
  return { did, head, version: label.version, updatedAt: label.updatedAt }
}

function importedOf(imported: ImportResult) {
  return { car: imported.digest, size: imported.size, blocks: imported.blocks, created: imported.created }
}

function signal(options: IOOptions): IOOptions {
  return options.signal === undefined ? {} : { signal: options.signal }
}
