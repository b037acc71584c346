/**
 * `@strata/stores/allocation`: blob allocations, keyed `{digest}/{did}` (`digest` = base58btc
 * multihash, `did` = the space), values DAG-CBOR as in Piri.
 *
 * ```js
 * import { AllocationStore } from '@strata/stores/allocation'
 * const allocations = new AllocationStore({ backend }) // any opened ObjectStore
 * await allocations.put(allocation); await allocations.getAnyNonExpired(digest)
 * ```
 */
import type { IOOptions } from '@strata/objectstore'
import type { DID } from '@ucanto/interface'
import type { MultihashDigest } from 'multiformats'
import type { RecordStoreOptions } from '../internal/options.js'
import { type SpaceBlobKey, SpaceBlobRecords } from '../internal/space-blob.js'
import { type Allocation, allocationCodec } from './codec.js'

export { DecodeError, EncodeError } from '@strata/genericstore'
export type { IOOptions } from '@strata/objectstore'
export { NotFoundError } from '@strata/objectstore'
export type { Blob, SpaceBlobKey } from '../internal/space-blob.js'
export { type Allocation, allocationCodec, allocationFromIPLD, allocationToIPLD } from './codec.js'

/** Options for {@link AllocationStore}; the S3 wiring sets `keySuffix: '.cbor'`. */
export interface AllocationStoreOptions extends RecordStoreOptions {}

/** The allocation store contract, implemented by {@link AllocationStore}. */
export interface Allocations {
  /**
   * Adds or replaces the allocation of `allocation.blob.digest` in `allocation.space`.
   * @throws {EncodeError} when the allocation has the wrong shape.
   */
  put(allocation: Allocation, options?: IOOptions): Promise<void>
  /**
   * The allocation of a blob in a space.
   * @throws {NotFoundError} none is stored. @throws {DecodeError} the stored record is not an allocation.
   */
  get(digest: MultihashDigest, space: DID, options?: IOOptions): Promise<Allocation>
  /**
   * Any allocation of a blob, whatever the space.
   * @throws {NotFoundError} none is stored (its `key` is `{digest}/`). @throws {DecodeError}
   */
  getAny(digest: MultihashDigest, options?: IOOptions): Promise<Allocation>
  /**
   * Any allocation of a blob that is still live: `expires > now`, strictly.
   * @param now unix time in seconds; default: the current time.
   * @throws {NotFoundError} no live allocation is stored. @throws {DecodeError}
   */
  getAnyNonExpired(digest: MultihashDigest, now?: number, options?: IOOptions): Promise<Allocation>
  /** Whether any allocation of the blob is stored, expired or not. */
  has(digest: MultihashDigest, options?: IOOptions): Promise<boolean>
  /** Every allocation of the blob, one per space, in no particular order. @throws {DecodeError} */
  list(digest: MultihashDigest, options?: IOOptions): AsyncIterable<Allocation>
  /** Every allocation of every blob, in no particular order. @throws {DecodeError} */
  all(options?: IOOptions): AsyncIterable<Allocation>
  /** The blob and space of every allocation, read from the keys alone (garbage collection, owner wipes). */
  keys(options?: IOOptions): AsyncIterable<SpaceBlobKey>
  /** Removes the allocation of a blob in a space; removing a missing one is not an error. */
  delete(digest: MultihashDigest, space: DID, options?: IOOptions): Promise<void>
}

/** Blob allocations over any object store (memory, LevelDB through a datastore, S3). */
export class AllocationStore implements Allocations {
  readonly #records: SpaceBlobRecords<Allocation>

  /** No I/O: the backend is opened and closed by the caller. */
  constructor(options: AllocationStoreOptions) {
    this.#records = new SpaceBlobRecords(options, allocationCodec)
  }

  async put(allocation: Allocation, options?: IOOptions): Promise<void> {
    await this.#records.put(allocation, options)
  }

  async get(digest: MultihashDigest, space: DID, options?: IOOptions): Promise<Allocation> {
    return this.#records.get(digest, space, options)
  }

  async getAny(digest: MultihashDigest, options?: IOOptions): Promise<Allocation> {
    return this.#records.getAny(digest, undefined, options)
  }

  async getAnyNonExpired(
    digest: MultihashDigest,
    now: number = Math.floor(Date.now() / 1000),
    options?: IOOptions,
  ): Promise<Allocation> {
    return this.#records.getAny(digest, (allocation) => allocation.expires > now, options)
  }

  async has(digest: MultihashDigest, options?: IOOptions): Promise<boolean> {
    return this.#records.has(digest, options)
  }

  list(digest: MultihashDigest, options?: IOOptions): AsyncIterable<Allocation> {
    return this.#records.list(digest, options)
  }

  all(options?: IOOptions): AsyncIterable<Allocation> {
    return this.#records.all(options)
  }

  keys(options?: IOOptions): AsyncIterable<SpaceBlobKey> {
    return this.#records.keys(options)
  }

  async delete(digest: MultihashDigest, space: DID, options?: IOOptions): Promise<void> {
    await this.#records.delete(digest, space, options)
  }
}
