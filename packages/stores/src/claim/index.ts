/**
 * `@strata/stores/claim`: UCAN delegations (Piri's claim store), each stored as its CAR
 * archive (`Delegation.archive` from `@ucanto/core`) under its CID string.
 *
 * ```js
 * import { ClaimStore } from '@strata/stores/claim'
 * const claims = new ClaimStore({ backend }) // any opened ObjectStore
 * await claims.put(delegation); const same = await claims.get(delegation.cid)
 * ```
 */

import { GenericStore } from '@strata/genericstore'
import type { IOOptions } from '@strata/objectstore'
import type { Delegation, UnknownLink } from '@ucanto/interface'
import { bytesCodec } from '../internal/bytes-codec.js'
import { formatLink } from '../internal/fields.js'
import { type BackendOptions, namespaceOption } from '../internal/options.js'
import { archiveDelegation, extractDelegation } from '../internal/ucan-archive.js'

export { DecodeError, EncodeError } from '@strata/genericstore'
export type { IOOptions } from '@strata/objectstore'
export { NotFoundError } from '@strata/objectstore'

/** Options for {@link ClaimStore}. Keys carry no suffix, on S3 too (as in Piri). */
export interface ClaimStoreOptions extends BackendOptions {}

/** The delegation store contract, implemented by {@link ClaimStore}. */
export interface Claims {
  /**
   * Adds or replaces a delegation, under its CID.
   * @throws {EncodeError} when ucanto cannot archive it.
   */
  put(delegation: Delegation, options?: IOOptions): Promise<void>
  /**
   * The delegation with this CID, with every block its archive holds (proofs included).
   * @throws {NotFoundError} none is stored.
   * @throws {DecodeError} the stored bytes are not a UCAN archive, or hold another delegation.
   */
  get(cid: UnknownLink, options?: IOOptions): Promise<Delegation>
  /**
   * The stored CAR archive of the delegation, as written (for `GET /claim/:cid`); not re-checked.
   * @throws {NotFoundError} none is stored.
   */
  getArchive(cid: UnknownLink, options?: IOOptions): Promise<Uint8Array>
  /** Whether a delegation with this CID is stored. */
  has(cid: UnknownLink, options?: IOOptions): Promise<boolean>
}

/** UCAN delegations over any object store (memory, LevelDB through a datastore, S3). */
export class ClaimStore implements Claims {
  readonly #store: GenericStore<Uint8Array>

  /** No I/O: the backend is opened and closed by the caller. */
  constructor(options: ClaimStoreOptions) {
    this.#store = new GenericStore({
      backend: options.backend,
      codec: bytesCodec,
      ...namespaceOption(options.namespace),
    })
  }

  async put(delegation: Delegation, options?: IOOptions): Promise<void> {
    const key = formatLink(delegation.cid)
    await this.#store.put(key, await archiveDelegation(key, delegation), options)
  }

  async get(cid: UnknownLink, options?: IOOptions): Promise<Delegation> {
    const key = formatLink(cid)
    return extractDelegation(key, await this.#store.get(key, options), key)
  }

  async getArchive(cid: UnknownLink, options?: IOOptions): Promise<Uint8Array> {
    return this.#store.get(formatLink(cid), options)
  }

  async has(cid: UnknownLink, options?: IOOptions): Promise<boolean> {
    return this.#store.has(formatLink(cid), options)
  }
}
