import type { BlobStore } from '@strata/blobstore'
import type { CarStore } from '@strata/car'
import type { IOOptions } from '@strata/objectstore'
import { base58btc } from 'multiformats/bases/base58'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { ContentCollectingError, ContentNotFoundError } from '../errors.js'
import { type ContentRef, formatRef, isCid } from '../label/refs.js'
import type { ReferenceCheck } from '../owner/store.js'
import type { Condemned } from './condemned.js'

/** Options for {@link ReferenceGuard}. */
export interface ReferenceGuardOptions {
  /** The blob store references point into. */
  blobs: BlobStore
  /** The CAR store, to find the CARs that hold a CID (as a root or a block). Default: CIDs name raw blobs only. */
  cars?: CarStore
  /** The collector's condemned marks. Default: none (no collector; `confirm` checks existence only). */
  condemned?: Condemned
  /** How long `confirm` waits for a collector to decide about a condemned blob, in ms. Default 10 s. */
  waitMs?: number
  /** How often it looks again meanwhile, in ms. Default 50. */
  pollMs?: number
}

const IDENTITY = 0x00

/**
 * What keeps content alive, and the check a writer makes after writing a reference.
 *
 * The protocol with the collector: the collector condemns each blob it means to delete (a marker),
 * marks a second time, and deletes only what that second mark did not reach. A writer writes its
 * reference first, then `confirm`s: the blob is not condemned, and it is stored. Either the
 * reference existed when the second mark started (and the blob is kept), or the writer sees the mark
 * or the deletion and undoes its reference. A condemned blob is waited for (the collector removes
 * the mark once it has decided): kept, the reference stands; deleted, it is refused.
 */
export class ReferenceGuard implements ReferenceCheck {
  readonly #blobs: BlobStore
  readonly #cars: CarStore | undefined
  readonly #condemned: Condemned | undefined
  readonly #waitMs: number
  readonly #pollMs: number

  constructor(options: ReferenceGuardOptions) {
    this.#blobs = options.blobs
    this.#cars = options.cars
    this.#condemned = options.condemned
    this.#waitMs = options.waitMs ?? 10_000
    this.#pollMs = options.pollMs ?? 50
  }

  /**
   * The blobs a reference keeps alive: a multihash, its blob; a CID, the blob of its multihash (a
   * raw blob, a CAR by its CAR CID), the CARs that have it as a root and the CARs holding it as a
   * block. An identity CID holds its content: none. Digests may name blobs that are gone.
   */
  async supporting(ref: ContentRef, options: IOOptions = {}): Promise<MultihashDigest[]> {
    if (!isCid(ref)) return [ref]
    if (ref.multihash.code === IDENTITY) return []
    const found = new Map<string, MultihashDigest>([[keyOf(ref.multihash), ref.multihash]])
    if (this.#cars !== undefined) {
      for await (const car of this.#cars.carsWithRoot(ref, options)) found.set(keyOf(car), car)
      for (const car of await this.#cars.blobsHolding(ref, options)) found.set(keyOf(car), car)
    }
    return [...found.values()]
  }

  /**
   * Checks a reference just written: answers the supporting blobs that are stored and not being
   * collected (at least one; none for an identity CID). The caller undoes its reference on a throw.
   * @throws {ContentNotFoundError} nothing stored supports `ref`.
   * @throws {ContentCollectingError} every supporting blob is condemned, and stays so past `waitMs`.
   */
  async confirm(ref: ContentRef, options: IOOptions = {}): Promise<MultihashDigest[]> {
    const supporting = await this.supporting(ref, options)
    if (isCid(ref) && ref.multihash.code === IDENTITY) return []
    const present: MultihashDigest[] = []
    let waiting: MultihashDigest[] = []
    for (const digest of supporting) {
      if (await this.#condemned?.has(digest, options)) waiting.push(digest)
      else if (await this.#blobs.has(digest, options)) present.push(digest)
    }
    const deadline = Date.now() + this.#waitMs
    while (present.length === 0 && waiting.length > 0) {
      if (Date.now() >= deadline)
        throw new ContentCollectingError(base58btc.encode((waiting[0] as MultihashDigest).bytes))
      await sleep(this.#pollMs, options.signal)
      const still: MultihashDigest[] = []
      for (const digest of waiting) {
        if (await this.#condemned?.has(digest, options)) still.push(digest)
        else if (await this.#blobs.has(digest, options)) present.push(digest)
      }
      waiting = still
    }
    if (present.length === 0) throw new ContentNotFoundError(formatRef(ref))
    return present
  }
}

/** A digest as a compact map key (its bytes as a binary string). */
export function keyOf(digest: MultihashDigest): string {
  return Buffer.from(digest.bytes.buffer, digest.bytes.byteOffset, digest.bytes.byteLength).toString('latin1')
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted()
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(signal.reason)
      },
      { once: true },
    )
  })
}
