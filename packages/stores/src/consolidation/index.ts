/**
 * `@strata/stores/consolidation`: per egress batch (keyed by the batch CID), the
 * `space/egress/track` invocation sent for it and the CID of the `space/egress/consolidate`
 * invocation it led to. Values DAG-CBOR as in Piri, the invocation inside as a CAR archive.
 *
 * ```js
 * import { ConsolidationStore } from '@strata/stores/consolidation'
 * const consolidations = new ConsolidationStore({ backend }) // any opened ObjectStore
 * await consolidations.put(batchCid, { trackInvocation, consolidateInvocationCID }); await consolidations.get(batchCid)
 * ```
 */

import { GenericStore } from '@strata/genericstore'
import { type IOOptions, NotFoundError } from '@strata/objectstore'
import type { Invocation, UnknownLink } from '@ucanto/interface'
import { formatLink } from '../internal/fields.js'
import { namespaceOption, type RecordStoreOptions } from '../internal/options.js'
import { archiveDelegation, extractDelegation } from '../internal/ucan-archive.js'
import { type ConsolidationRecord, consolidationRecordCodec } from './codec.js'
import { LegacyConsolidations } from './legacy.js'

export { DecodeError, EncodeError } from '@strata/genericstore'
export type { IOOptions } from '@strata/objectstore'
export { NotFoundError } from '@strata/objectstore'
export {
  type ConsolidationRecord,
  consolidationRecordCodec,
  consolidationRecordFromIPLD,
} from './codec.js'

/** A batch's consolidation, with the track invocation decoded. */
export interface Consolidation {
  /** The `space/egress/track` invocation sent to the egress tracker for the batch. */
  trackInvocation: Invocation
  /** CID of the `space/egress/consolidate` invocation from the track receipt's fork effect. */
  consolidateInvocationCID: UnknownLink
}

/** Options for {@link ConsolidationStore}; the S3 wiring sets `keySuffix: '.cbor'`. */
export interface ConsolidationStoreOptions extends RecordStoreOptions {
  /**
   * Also read Piri's legacy two-record layout (`track/<batch>` + `consolidate/<batch>` at the
   * backend's root, whatever `namespace` says), which Piri's LevelDB store still reads: `get` and
   * `has` fall back to it, `delete` removes it too; nothing is written in it (Piri migrates on
   * read; strata leaves the records where they are). Default false.
   */
  readLegacy?: boolean
}

/** The consolidation store contract, implemented by {@link ConsolidationStore}. */
export interface Consolidations {
  /**
   * Adds or replaces the consolidation of a batch.
   * @throws {EncodeError} the invocation cannot be archived or the CID is not a link.
   */
  put(batchCid: UnknownLink, consolidation: Consolidation, options?: IOOptions): Promise<void>
  /**
   * The consolidation of a batch.
   * @throws {NotFoundError} none is stored.
   * @throws {DecodeError} the record, or the invocation archive inside it, cannot be decoded.
   */
  get(batchCid: UnknownLink, options?: IOOptions): Promise<Consolidation>
  /** Removes the consolidation of a batch; removing a missing one is not an error. */
  delete(batchCid: UnknownLink, options?: IOOptions): Promise<void>
  /** Whether a consolidation is stored for the batch. */
  has(batchCid: UnknownLink, options?: IOOptions): Promise<boolean>
}

/** Egress consolidations over any object store (memory, LevelDB through a datastore, S3). */
export class ConsolidationStore implements Consolidations {
  readonly #store: GenericStore<ConsolidationRecord>
  readonly #suffix: string
  readonly #legacy: LegacyConsolidations | undefined

  /** No I/O: the backend is opened and closed by the caller. */
  constructor(options: ConsolidationStoreOptions) {
    this.#store = new GenericStore({
      backend: options.backend,
      codec: consolidationRecordCodec,
      ...namespaceOption(options.namespace),
    })
    this.#suffix = options.keySuffix ?? ''
    this.#legacy = options.readLegacy === true ? new LegacyConsolidations(options.backend) : undefined
  }

  async put(batchCid: UnknownLink, consolidation: Consolidation, options?: IOOptions): Promise<void> {
    const key = this.#key(batchCid)
    const record: ConsolidationRecord = {
      trackInvocation: await archiveDelegation(key, consolidation.trackInvocation),
      consolidateInvocationCID: consolidation.consolidateInvocationCID,
    }
    await this.#store.put(key, record, options)
  }

  async get(batchCid: UnknownLink, options?: IOOptions): Promise<Consolidation> {
    const key = this.#key(batchCid)
    let record: ConsolidationRecord
    try {
      record = await this.#store.get(key, options)
    } catch (error) {
      const legacy =
        error instanceof NotFoundError ? await this.#legacy?.get(formatLink(batchCid), options) : undefined
      if (legacy === undefined) throw error
      return legacy
    }
    const trackInvocation = (await extractDelegation(key, record.trackInvocation)) as Invocation
    return { trackInvocation, consolidateInvocationCID: record.consolidateInvocationCID }
  }

  async delete(batchCid: UnknownLink, options?: IOOptions): Promise<void> {
    await this.#store.delete(this.#key(batchCid), options)
    await this.#legacy?.delete(formatLink(batchCid), options)
  }

  async has(batchCid: UnknownLink, options?: IOOptions): Promise<boolean> {
    if (await this.#store.has(this.#key(batchCid), options)) return true
    return (await this.#legacy?.has(formatLink(batchCid), options)) ?? false
  }

  #key(batchCid: UnknownLink): string {
    return formatLink(batchCid) + this.#suffix
  }
}
