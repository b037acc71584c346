import type { BlobStore, Body } from '@strata/blobstore'
import type { IOOptions, ObjectStore } from '@strata/objectstore'
import type { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { blockExists, readBlock } from './blocks.js'
import type { BlockIndex, CarRecord, ImportResult } from './contract.js'
import { type DeletedCar, deleteCar } from './delete.js'
import { type ExportOptions, exportCar } from './export.js'
import { type ImportOptions, importCar } from './import.js'
import { LocationCache } from './location-cache.js'
import { DEFAULT_MAX_BLOCK_SIZE, DEFAULT_MAX_HEADER_SIZE } from './read/reader.js'
import { CarRecords } from './records.js'

/** Options for {@link CarStore}. */
export interface CarStoreOptions {
  /** Where CARs and index archives go (e.g. a `VerifiedBlobStore` on flatfs or S3). */
  blobs: BlobStore
  /** The block-location lookup (`MemoryBlockIndex`, `LevelBlockIndex`, `S3BlockIndex`). Opened by the caller. */
  index: BlockIndex
  /**
   * Where the CAR records and root entries go: an opened object store whose keys may contain `/`
   * (memory, LevelDB, S3; not flatfs). See {@link CarRecords} for the keys.
   */
  records: ObjectStore
  /** The largest block data accepted at import, in bytes. Default 2 MiB. */
  maxBlockSize?: number
  /** The largest CAR header accepted at import, in bytes. Default 64 KiB. */
  maxHeaderSize?: number
  /**
   * How many block locations `getBlock` remembers (LRU), so a block read again needs no index
   * lookup; a remembered location whose blob is gone falls back to the index. Default 0 (off).
   */
  locationCacheSize?: number
}

/**
 * CAR-aware storage over a blob store: imports CARs in one verified pass, keeps each CAR's block
 * index (Storacha's `index/sharded/dag@0.1`, as a blob) and a block → location lookup, reads
 * blocks verified, and exports CARs. Holds no resources of its own (its parts are opened and
 * closed by the caller); no I/O in the constructor.
 */
export class CarStore {
  readonly #blobs: BlobStore
  readonly #index: BlockIndex
  readonly #records: CarRecords
  readonly #maxBlockSize: number
  readonly #maxHeaderSize: number
  readonly #locations: LocationCache | undefined

  constructor(options: CarStoreOptions) {
    this.#blobs = options.blobs
    this.#index = options.index
    this.#records = new CarRecords({ backend: options.records })
    this.#maxBlockSize = options.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE
    this.#maxHeaderSize = options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE
    const cacheSize = options.locationCacheSize ?? 0
    this.#locations = cacheSize > 0 ? new LocationCache(cacheSize) : undefined
  }

  /**
   * Imports a CARv1 in one pass over `body`, never holding it whole: the bytes stream to
   * `BlobStore.add` (or `put`, when `options.digest` is given) while every block is checked: its
   * multihash (sha2-256, sha2-512 or identity) matches its bytes, its length is within
   * `maxBlockSize` (refused from its varint, before it is buffered), the header within
   * `maxHeaderSize`. Then the CAR's index archive is stored as a blob, its location entries
   * written, then its record and root entries (pointers last). Importing a CAR already imported
   * writes nothing and answers `created: false` (without reading the body when the digest is given).
   * The positions of all blocks are held until the end (packed, ~50 bytes a block).
   *
   * On any failure NOTHING is left: not the CAR blob, its staging object, the index blob, a location
   * entry or a record (a blob that was already stored before the call is kept).
   * @throws {CarFormatError} malformed or truncated CAR, bad varint, not CARv1 (with `offset`, `cid`).
   * @throws {BlockTooLargeError | HeaderTooLargeError} over the limits (with `offset`).
   * @throws {UnsupportedHashError} a block's hash function is not allowed (with `cid`, `offset`), or
   *   `options.digest` is not sha2-256.
   * @throws {DigestMismatchError} a block does not hash to its CID (with `cid`, `offset`), or the CAR
   *   to `options.digest`.
   * @throws {TooSmallError | TooLargeError} the body is shorter / longer than `options.size`.
   * @throws {ImportAbortedError} (`name` `AbortError`) the signal aborted.
   */
  importCar(body: Body, options: ImportOptions = {}): Promise<ImportResult> {
    const ctx = {
      blobs: this.#blobs,
      index: this.#index,
      records: this.#records,
      maxBlockSize: this.#maxBlockSize,
      maxHeaderSize: this.#maxHeaderSize,
    }
    return importCar(ctx, body, options)
  }

  /**
   * A block's bytes: location lookup, ranged read, re-hash.
   * @throws {BlockNotFoundError} no stored CAR holds it.
   * @throws {DigestMismatchError} the stored bytes do not hash to the CID (never returned).
   */
  getBlock(cid: CID, options: IOOptions = {}): Promise<Uint8Array> {
    return readBlock(this.#blobs, this.#index, cid, options, this.#locations)
  }

  /** Whether a block can be read (identity CIDs always can). */
  hasBlock(cid: CID, options: IOOptions = {}): Promise<boolean> {
    return blockExists(this.#blobs, this.#index, cid, options)
  }

  /**
   * Streams a CARv1 whose one root is `root`. `scope: 'all'` (default): when a stored CAR has
   * exactly that root and holds the whole DAG (`complete`), its bytes as stored; otherwise a
   * depth-first walk over dag-cbor, dag-pb, dag-json and raw links, each block once, framed as
   * read (verified, not re-encoded). `scope: 'block'`: the root block alone (a stored CAR of that one
   * block is served as stored).
   * @throws {BlockNotFoundError} the root is missing (at the first read) or a block is missing
   *   mid-walk (the stream errors).
   * @throws {DigestMismatchError} a stored block does not verify (the stream errors).
   */
  exportCar(root: CID, options: ExportOptions = {}): AsyncGenerator<Uint8Array> {
    return exportCar({ blobs: this.#blobs, index: this.#index, records: this.#records }, root, options)
  }

  /** The record of an imported CAR, or undefined. */
  getCar(digest: MultihashDigest, options: IOOptions = {}): Promise<CarRecord | undefined> {
    return this.#records.get(digest, options)
  }

  /** The digests of the imported CARs that have `root` among their roots. */
  carsWithRoot(root: CID, options: IOOptions = {}): AsyncIterable<MultihashDigest> {
    return this.#records.carsWithRoot(root, options)
  }

  /** The record of every imported CAR, in no particular order (garbage collection marks from them). */
  cars(options: IOOptions = {}): AsyncIterable<CarRecord> {
    return this.#records.list(options)
  }

  /**
   * The digests of the stored CARs the index places a block in (identity CIDs: none, they hold
   * their block). The blobs may have been deleted since (`getBlock` skips those).
   */
  async blobsHolding(cid: CID, options: IOOptions = {}): Promise<MultihashDigest[]> {
    return (await this.#index.get(cid.multihash, options)).map((location) => location.blob)
  }

  /**
   * Deletes a CAR with everything its import wrote, pointers first: its location entries (found
   * from its index archive, or from the CAR when the archive is gone), root entries and record,
   * then its index blob and the CAR blob. Run again, an interrupted deletion finishes. A CAR that
   * was never imported (a plain blob) is simply deleted. Garbage collection calls this for CARs
   * nothing references; a caller deleting a CAR others may still read from is on its own.
   */
  deleteCar(digest: MultihashDigest, options: IOOptions = {}): Promise<DeletedCar> {
    const ctx = {
      blobs: this.#blobs,
      index: this.#index,
      records: this.#records,
      maxBlockSize: this.#maxBlockSize,
      maxHeaderSize: this.#maxHeaderSize,
    }
    return deleteCar(ctx, digest, options)
  }
}
