/**
 * Piri's earlier consolidation layout, which its datastore (LevelDB) store still reads in v0.2.4
 * (`pkg/store/consolidationstore/legacy.go`): per batch, two records at the backend's root,
 * `track/<batch cid>` (the track invocation's CAR archive) and `consolidate/<batch cid>` (the
 * consolidate invocation's CID, binary).
 */
import { DecodeError, GenericStore } from '@strata/genericstore'
import { type IOOptions, NotFoundError, type ObjectStore } from '@strata/objectstore'
import type { Invocation } from '@ucanto/interface'
import { CID } from 'multiformats/cid'
import { bytesCodec } from '../internal/bytes-codec.js'
import { extractDelegation } from '../internal/ucan-archive.js'

/** A batch's consolidation as read (the shape of `Consolidation` in `./index.ts`). */
export interface LegacyConsolidation {
  trackInvocation: Invocation
  consolidateInvocationCID: CID
}

/** Reads and deletes Piri's legacy `track/` + `consolidate/` records; never writes them. */
export class LegacyConsolidations {
  readonly #track: GenericStore<Uint8Array>
  readonly #consolidate: GenericStore<Uint8Array>

  constructor(backend: ObjectStore) {
    this.#track = new GenericStore({ backend, codec: bytesCodec, namespace: 'track' })
    this.#consolidate = new GenericStore({ backend, codec: bytesCodec, namespace: 'consolidate' })
  }

  /**
   * The legacy consolidation of the batch `key` (its CID string), or `undefined` when either of
   * its two records is missing (Piri answers not-found then too).
   * @throws {DecodeError} a record is not an invocation archive or a binary CID.
   */
  async get(key: string, options?: IOOptions): Promise<LegacyConsolidation | undefined> {
    const [track, consolidate] = await Promise.all([
      orUndefined(this.#track.get(key, options)),
      orUndefined(this.#consolidate.get(key, options)),
    ])
    if (track === undefined || consolidate === undefined) return undefined
    const trackInvocation = (await extractDelegation(`track/${key}`, track)) as Invocation
    let consolidateInvocationCID: CID
    try {
      consolidateInvocationCID = CID.decode(consolidate)
    } catch (cause) {
      throw new DecodeError(`consolidate/${key}`, 'cid', { cause })
    }
    return { trackInvocation, consolidateInvocationCID }
  }

  /** Whether both legacy records of the batch exist. */
  async has(key: string, options?: IOOptions): Promise<boolean> {
    const [track, consolidate] = await Promise.all([
      this.#track.has(key, options),
      this.#consolidate.has(key, options),
    ])
    return track && consolidate
  }

  /** Deletes both legacy records of the batch (idempotent). */
  async delete(key: string, options?: IOOptions): Promise<void> {
    await Promise.all([this.#track.delete(key, options), this.#consolidate.delete(key, options)])
  }
}

async function orUndefined(read: Promise<Uint8Array>): Promise<Uint8Array | undefined> {
  try {
    return await read
  } catch (error) {
    if (error instanceof NotFoundError) return undefined
    throw error
  }
}
