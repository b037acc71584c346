import * as dagCbor from '@ipld/dag-cbor'
import type { IOOptions, ObjectStore } from '@strata/objectstore'
import type { DID } from '@ucanto/interface'
import { base58btc } from 'multiformats/bases/base58'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { Acceptances } from '../acceptance/index.js'
import type { Allocations } from '../allocation/index.js'
import { LabelConflictError } from '../errors.js'
import { checkDid } from '../internal/did.js'
import { DEFAULT_PAGE_SIZE, PageSelection } from '../internal/paging.js'
import { labelKey, labelNameOf } from '../label/names.js'
import type { ContentRef } from '../label/refs.js'
import type { Label, Labels } from '../label/store.js'

/** Confirms a reference just written (garbage collection's `ReferenceGuard` is one). */
export interface ReferenceCheck {
  /**
   * @throws {ContentNotFoundError} nothing stored supports `ref`.
   * @throws {ContentCollectingError} it is being garbage-collected.
   */
  confirm(ref: ContentRef, options?: IOOptions): Promise<unknown>
}

/** Options for {@link OwnerStore}. */
export interface OwnerStoreOptions {
  /** Where memberships, owned-label entries and wipe markers live (memory, LevelDB, S3; not flatfs). */
  backend: ObjectStore
  /** Keeps the owner records apart from other stores on the same backend. Default none. */
  namespace?: string
  /** The labels, whose owned ones a wipe deletes. */
  labels: Labels
  /** The acceptances a wipe deletes (those of the owner's space). Default: none touched. */
  acceptances?: Acceptances
  /** The allocations a wipe deletes. Default: none touched. */
  allocations?: Allocations
  /**
   * Confirms each new membership against garbage collection (the blob is stored, not being
   * collected); a membership that fails is removed again. Default: none (no collector).
   */
  guard?: ReferenceCheck
}

/** A blob an owner holds. */
export interface OwnedBlob {
  digest: MultihashDigest
  size: number
}

/** What {@link OwnerStore.stat} answers. */
export interface OwnerStat {
  did: string
  /** Distinct blobs the owner holds. */
  blobs: number
  /** Their total size in bytes (each blob once, whoever else holds it). */
  bytes: number
  /** Labels the owner owns. */
  labels: number
}

/** One page of an owner's blobs, in key order. */
export interface OwnedPage {
  blobs: OwnedBlob[]
  /** Pass it as `cursor` for the next page; absent on the last page. */
  cursor?: string
}

/** What {@link OwnerStore.wipe} removed. */
export interface WipeResult {
  did: string
  /** Memberships removed. */
  blobs: number
  labels: number
  acceptances: number
  allocations: number
}

const MEMBERS = 'members/'
const LABELS = 'labels/'
const WIPES = 'wipes/'
const EMPTY = new Uint8Array(0)
const LABEL_ATTEMPTS = 8

/**
 * Owners (DIDs: Piri's spaces, ATProto repos, Theater actors) and what they hold. Keys:
 * - `members/<did>/<z digest>/<size>` (empty): the owner holds that blob. The size is in the key,
 *   so `stat` and `list` cost listings only (one S3 LIST per 1,000 blobs), no reads;
 * - `labels/<did>/<label key>` (empty): the owner owns that label (checked against the label on read);
 * - `wipes/<did>` (`{ startedAt }`): a wipe is under way.
 *
 * A wipe is all-or-nothing from the outside by rolling forward: it writes the marker first (from then
 * on the owner reads as empty), deletes the owner's labels, acceptances, allocations and memberships,
 * then the marker. A wipe cut short by a crash is finished by `finishWipes()` (the server runs it at
 * start) or by the next `wipe`, `add` or `addLabel` of that owner. No I/O in the constructor.
 */
export class OwnerStore {
  readonly #backend: ObjectStore
  readonly #prefix: string
  readonly #labels: Labels
  readonly #acceptances: Acceptances | undefined
  readonly #allocations: Allocations | undefined
  readonly #guard: ReferenceCheck | undefined

  constructor(options: OwnerStoreOptions) {
    this.#backend = options.backend
    this.#prefix = options.namespace === undefined ? '' : `${options.namespace}/`
    this.#labels = options.labels
    this.#acceptances = options.acceptances
    this.#allocations = options.allocations
    this.#guard = options.guard
  }

  /**
   * Records that `did` holds `blob`; answers false when it already did (nothing written). A new
   * membership is confirmed with the guard, and removed again when that fails.
   * @throws {InvalidDidError} @throws {ContentNotFoundError | ContentCollectingError} (from the guard)
   */
  async add(did: string, blob: OwnedBlob, options: IOOptions = {}): Promise<boolean> {
    await this.#settle(checkDid(did), options)
    if (await this.has(did, blob.digest, options)) return false
    const key = `${MEMBERS}${did}/${z(blob.digest)}/${size(blob.size)}`
    await this.#put(key, EMPTY, options)
    try {
      await this.#guard?.confirm(blob.digest, options)
    } catch (error) {
      await this.#delete(key, options)
      throw error
    }
    return true
  }

  /** Whether `did` holds the blob. @throws {InvalidDidError} */
  async has(did: string, digest: MultihashDigest, options: IOOptions = {}): Promise<boolean> {
    for await (const _ of this.#list(`${MEMBERS}${checkDid(did)}/${z(digest)}/`, options)) return true
    return false
  }

  /** Removes one membership (a caller's rollback); a missing one is not an error. */
  async remove(did: string, digest: MultihashDigest, options: IOOptions = {}): Promise<void> {
    for await (const key of this.#list(`${MEMBERS}${checkDid(did)}/${z(digest)}/`, options)) {
      await this.#delete(key, options)
    }
  }

  /** Records that `did` owns label `name` (written before the label itself). @throws {InvalidDidError} */
  async addLabel(did: string, name: string, options: IOOptions = {}): Promise<void> {
    await this.#settle(checkDid(did), options)
    await this.#put(`${LABELS}${did}/${labelKey(name)}`, EMPTY, options)
  }

  /** Forgets that `did` owns label `name` (after the label moved to another owner or was deleted). */
  async removeLabel(did: string, name: string, options: IOOptions = {}): Promise<void> {
    await this.#delete(`${LABELS}${checkDid(did)}/${labelKey(name)}`, options)
  }

  /** The owner's blob count, bytes and label count; all zero for an owner being wiped. */
  async stat(did: string, options: IOOptions = {}): Promise<OwnerStat> {
    const result: OwnerStat = { did: checkDid(did), blobs: 0, bytes: 0, labels: 0 }
    if (await this.isWiping(did, options)) return result
    for await (const key of this.#list(`${MEMBERS}${did}/`, options)) {
      const blob = parseMember(key)
      if (blob === undefined) continue
      result.blobs++
      result.bytes += blob.size
    }
    for await (const _ of this.labels(did, options)) result.labels++
    return result
  }

  /** A page of the owner's blobs (empty for an owner being wiped). @throws {RangeError} bad `limit`. */
  async list(did: string, options: IOOptions & { cursor?: string; limit?: number } = {}): Promise<OwnedPage> {
    const prefix = `${MEMBERS}${checkDid(did)}/`
    const page = new PageSelection(
      options.limit ?? DEFAULT_PAGE_SIZE,
      options.cursor && `${prefix}${options.cursor}/~`,
    )
    if (await this.isWiping(did, options)) return { blobs: [] }
    for await (const key of this.#list(prefix, options)) page.offer(key)
    const blobs = page.keys.flatMap((key) => parseMember(key) ?? [])
    const last = blobs[blobs.length - 1]
    return page.more && last !== undefined ? { blobs, cursor: z(last.digest) } : { blobs }
  }

  /** The labels `did` owns (each checked: it exists and names `did` as its owner). */
  async *labels(did: string, options: IOOptions = {}): AsyncGenerator<Label> {
    const prefix = `${LABELS}${checkDid(did)}/`
    for await (const key of this.#list(prefix, options)) {
      const name = labelNameOf(key.slice(prefix.length))
      const label = name === undefined ? undefined : await this.#labels.find(name, options)
      if (label?.owner === did) yield label
    }
  }

  /** The digest of every membership of every owner, owners being wiped included (garbage collection). */
  async *members(options: IOOptions = {}): AsyncGenerator<MultihashDigest> {
    for await (const key of this.#list(MEMBERS, options)) {
      const blob = parseMember(key)
      if (blob !== undefined) yield blob.digest
    }
  }

  /** Whether a wipe of `did` has started and not finished. */
  async isWiping(did: string, options: IOOptions = {}): Promise<boolean> {
    return this.#backend.has(`${this.#prefix}${WIPES}${checkDid(did)}`, signal(options))
  }

  /**
   * Removes everything `did` holds: its labels (those still owned by it), the acceptances and
   * allocations of its space, its memberships. Blobs another owner (or anything else) references
   * stay; the rest becomes garbage for the collector. Idempotent; finishes an interrupted wipe.
   * @throws {InvalidDidError}
   */
  async wipe(did: string, options: IOOptions = {}): Promise<WipeResult> {
    checkDid(did)
    const marker = dagCbor.encode({ startedAt: Date.now() })
    await this.#put(`${WIPES}${did}`, marker, options)
    const result: WipeResult = { did, blobs: 0, labels: 0, acceptances: 0, allocations: 0 }
    const labelPrefix = `${LABELS}${did}/`
    for await (const key of this.#list(labelPrefix, options)) {
      const name = labelNameOf(key.slice(labelPrefix.length))
      if (name !== undefined && (await this.#deleteOwnedLabel(did, name, options))) result.labels++
      await this.#delete(key, options)
    }
    for (const [store, field] of [
      [this.#acceptances, 'acceptances'],
      [this.#allocations, 'allocations'],
    ] as const) {
      if (store === undefined) continue
      for await (const { digest, space } of store.keys(options)) {
        if (space !== did) continue
        await store.delete(digest, space as DID, options)
        result[field]++
      }
    }
    for await (const key of this.#list(`${MEMBERS}${did}/`, options)) {
      await this.#delete(key, options)
      result.blobs++
    }
    await this.#delete(`${WIPES}${did}`, options)
    return result
  }

  /** Finishes every wipe a crash cut short; answers the DIDs wiped. */
  async finishWipes(options: IOOptions = {}): Promise<string[]> {
    const dids: string[] = []
    for await (const key of this.#list(WIPES, options)) dids.push(key.slice(WIPES.length))
    for (const did of dids) await this.wipe(did, options)
    return dids
  }

  /** Deletes label `name` if `did` still owns it; answers whether it did. */
  async #deleteOwnedLabel(did: string, name: string, options: IOOptions): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const label = await this.#labels.find(name, options)
      if (label?.owner !== did) return false
      try {
        return await this.#labels.delete(name, { ...signal(options), ifVersion: label.version })
      } catch (error) {
        if (!(error instanceof LabelConflictError) || attempt === LABEL_ATTEMPTS) throw error
      }
    }
  }

  /** An owner under a wipe is wiped to the end before anything is added to it. */
  async #settle(did: string, options: IOOptions): Promise<void> {
    if (await this.isWiping(did, options)) await this.wipe(did, options)
  }

  async *#list(prefix: string, options: IOOptions): AsyncGenerator<string> {
    for await (const key of this.#backend.list(this.#prefix + prefix, signal(options))) {
      yield key.slice(this.#prefix.length)
    }
  }

  async #put(key: string, bytes: Uint8Array, options: IOOptions): Promise<void> {
    await this.#backend.put(this.#prefix + key, bytes.byteLength, bytes, signal(options))
  }

  async #delete(key: string, options: IOOptions): Promise<void> {
    await this.#backend.delete(this.#prefix + key, signal(options))
  }
}

/** `<z digest>` of a multihash (base58btc, as Piri's record keys). */
function z(digest: MultihashDigest): string {
  return base58btc.encode(digest.bytes)
}

function size(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`size must be a non-negative integer`)
  return String(value)
}

/** The blob of a key `members/<did>/<z digest>/<size>`, or undefined for a malformed key. */
function parseMember(key: string): OwnedBlob | undefined {
  const parts = key.split('/')
  const [digest, bytes] = parts.slice(-2)
  if (parts.length !== 4 || digest === undefined || bytes === undefined || !/^\d+$/.test(bytes))
    return undefined
  try {
    return { digest: decodeDigest(base58btc.decode(digest)), size: Number(bytes) }
  } catch {
    return undefined
  }
}

function signal(options: IOOptions): IOOptions {
  return options.signal === undefined ? {} : { signal: options.signal }
}
