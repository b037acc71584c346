import { dagCborCodec, GenericStore } from '@strata/genericstore'
import type { IOOptions, ObjectStore } from '@strata/objectstore'
import { base32 } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { CarRecord } from './contract.js'
import { digestOfName, nameOf } from './locations.js'

/** Options for {@link CarRecords}. */
export interface CarRecordsOptions {
  /**
   * Where the records go: an opened object store whose keys may contain `/` (memory, LevelDB,
   * S3; not flatfs). Its lifecycle stays the caller's.
   */
  backend: ObjectStore
}

interface StoredRecord {
  digest: Uint8Array
  size: number
  roots: CID[]
  blocks: number
  index: CID
  complete: boolean
}

const codec = dagCborCodec<StoredRecord>((value) => {
  const record = value as Partial<StoredRecord> | null
  if (
    record === null ||
    typeof record !== 'object' ||
    !(record.digest instanceof Uint8Array) ||
    typeof record.size !== 'number' ||
    !Array.isArray(record.roots) ||
    typeof record.blocks !== 'number' ||
    CID.asCID(record.index) === null ||
    typeof record.complete !== 'boolean'
  ) {
    throw new TypeError('not a CAR record')
  }
  return record as StoredRecord
})

const empty = dagCborCodec<null>()

/**
 * The per-CAR records, in two namespaces of one object store, DAG-CBOR encoded:
 * - `cars/<car base32>` → `{ digest, size, roots, blocks, index, complete }`: what garbage
 *   collection needs to find a CAR's index blob (and through it, its location entries);
 * - `roots/<root CID bytes, base32>/<car base32>` → empty: which CARs have a root, for `exportCar`.
 */
export class CarRecords {
  readonly #cars: GenericStore<StoredRecord>
  readonly #roots: GenericStore<null>

  constructor(options: CarRecordsOptions) {
    this.#cars = new GenericStore({ backend: options.backend, codec, namespace: 'cars' })
    this.#roots = new GenericStore({ backend: options.backend, codec: empty, namespace: 'roots' })
  }

  /** The record of a CAR, or undefined when it was not imported. @throws {DecodeError} */
  async get(car: MultihashDigest, options: IOOptions = {}): Promise<CarRecord | undefined> {
    try {
      const stored = await this.#cars.get(nameOf(car), options)
      return { ...stored, digest: decodeDigest(stored.digest) }
    } catch (error) {
      if (error instanceof Error && error.name === 'NotFoundError') return undefined
      throw error
    }
  }

  /** Every CAR record, in no particular order (one listing; records deleted meanwhile are skipped). */
  async *list(options: IOOptions = {}): AsyncGenerator<CarRecord> {
    for await (const stored of this.#cars.list('', options))
      yield { ...stored, digest: decodeDigest(stored.digest) }
  }

  /** Writes the record of a CAR. */
  async put(record: CarRecord, options: IOOptions = {}): Promise<void> {
    await this.#cars.put(nameOf(record.digest), { ...record, digest: record.digest.bytes }, options)
  }

  /** Removes the record of a CAR (not its root entries). */
  async delete(car: MultihashDigest, options: IOOptions = {}): Promise<void> {
    await this.#cars.delete(nameOf(car), options)
  }

  /** Records that `car` has `root` among its roots. */
  async putRoot(root: CID, car: MultihashDigest, options: IOOptions = {}): Promise<void> {
    await this.#roots.put(rootKey(root, car), null, options)
  }

  async deleteRoot(root: CID, car: MultihashDigest, options: IOOptions = {}): Promise<void> {
    await this.#roots.delete(rootKey(root, car), options)
  }

  /** The digests of the CARs that have `root` among their roots. */
  async *carsWithRoot(root: CID, options: IOOptions = {}): AsyncGenerator<MultihashDigest> {
    const prefix = `${base32.baseEncode(root.bytes)}/`
    for await (const { key } of this.#roots.entries(prefix, options)) {
      yield digestOfName(key.slice(prefix.length))
    }
  }
}

function rootKey(root: CID, car: MultihashDigest): string {
  return `${base32.baseEncode(root.bytes)}/${nameOf(car)}`
}
