/**
 * `@strata/stores/acceptance`: accepted blobs, keyed `{digest}/{did}` (`digest` = base58btc
 * multihash, `did` = the space), values DAG-CBOR as in Piri.
 *
 * ```js
 * import { AcceptanceStore } from '@strata/stores/acceptance'
 * const acceptances = new AcceptanceStore({ backend }) // any opened ObjectStore
 * await acceptances.put(acceptance); await acceptances.get(digest, space)
 * ```
 */
import type { IOOptions } from '@strata/objectstore'
import type { DID } from '@ucanto/interface'
import type { MultihashDigest } from 'multiformats'
import type { RecordStoreOptions } from '../internal/options.js'
import { type SpaceBlobKey, SpaceBlobRecords } from '../internal/space-blob.js'
import { type Acceptance, acceptanceCodec } from './codec.js'

export { DecodeError, EncodeError } from '@strata/genericstore'
export type { IOOptions } from '@strata/objectstore'
export { NotFoundError } from '@strata/objectstore'
export type { Blob, SpaceBlobKey } from '../internal/space-blob.js'
export {
  type Acceptance,
  acceptanceCodec,
  acceptanceFromIPLD,
  acceptanceToIPLD,
  type UcanAwait,
} from './codec.js'

/** Options for {@link AcceptanceStore}; the S3 wiring sets `keySuffix: '.cbor'`. */
export interface AcceptanceStoreOptions extends RecordStoreOptions {}

/** The acceptance store contract, implemented by {@link AcceptanceStore}. */
export interface Acceptances {
  /**
   * Adds or replaces the acceptance of `acceptance.blob.digest` in `acceptance.space`.
   * @throws {EncodeError} when the acceptance has the wrong shape (e.g. a negative `executedAt`).
   */
  put(acceptance: Acceptance, options?: IOOptions): Promise<void>
  /**
   * The acceptance of a blob in a space.
   * @throws {NotFoundError} none is stored. @throws {DecodeError} the stored record is not an acceptance.
   */
  get(digest: MultihashDigest, space: DID, options?: IOOptions): Promise<Acceptance>
  /**
   * Any acceptance of a blob, whatever the space.
   * @throws {NotFoundError} none is stored (its `key` is `{digest}/`). @throws {DecodeError}
   */
  getAny(digest: MultihashDigest, options?: IOOptions): Promise<Acceptance>
  /** Whether any acceptance of the blob is stored. */
  has(digest: MultihashDigest, options?: IOOptions): Promise<boolean>
  /** Every acceptance of the blob, one per space, in no particular order. @throws {DecodeError} */
  list(digest: MultihashDigest, options?: IOOptions): AsyncIterable<Acceptance>
  /** Every acceptance of every blob, in no particular order. @throws {DecodeError} */
  all(options?: IOOptions): AsyncIterable<Acceptance>
  /** The blob and space of every acceptance, read from the keys alone (garbage collection, owner wipes). */
  keys(options?: IOOptions): AsyncIterable<SpaceBlobKey>
  /** Removes the acceptance of a blob in a space; removing a missing one is not an error. */
  delete(digest: MultihashDigest, space: DID, options?: IOOptions): Promise<void>
}

/** Blob acceptances over any object store (memory, LevelDB through a datastore, S3). */
export class AcceptanceStore implements Acceptances {
  readonly #records: SpaceBlobRecords<Acceptance>

  /** No I/O: the backend is opened and closed by the caller. */
  constructor(options: AcceptanceStoreOptions) {
    this.#records = new SpaceBlobRecords(options, acceptanceCodec)
  }

  async put(acceptance: Acceptance, options?: IOOptions): Promise<void> {
    await this.#records.put(acceptance, options)
  }

  async get(digest: MultihashDigest, space: DID, options?: IOOptions): Promise<Acceptance> {
    return this.#records.get(digest, space, options)
  }

  async getAny(digest: MultihashDigest, options?: IOOptions): Promise<Acceptance> {
    return this.#records.getAny(digest, undefined, options)
  }

  async has(digest: MultihashDigest, options?: IOOptions): Promise<boolean> {
    return this.#records.has(digest, options)
  }

  list(digest: MultihashDigest, options?: IOOptions): AsyncIterable<Acceptance> {
    return this.#records.list(digest, options)
  }

  all(options?: IOOptions): AsyncIterable<Acceptance> {
    return this.#records.all(options)
  }

  keys(options?: IOOptions): AsyncIterable<SpaceBlobKey> {
    return this.#records.keys(options)
  }

  async delete(digest: MultihashDigest, space: DID, options?: IOOptions): Promise<void> {
    await this.#records.delete(digest, space, options)
  }
}
