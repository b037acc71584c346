import type { IOOptions } from '@strata/objectstore'
import type { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'

export type { IOOptions } from '@strata/objectstore'
export type { CID } from 'multiformats/cid'
export type { MultihashDigest } from 'multiformats/hashes/interface'

/** Where a block's data lies: a byte range of a stored blob (a CAR). */
export interface BlockLocation {
  /** The sha2-256 multihash of the blob (the CAR) holding the block. */
  blob: MultihashDigest
  /** Absolute offset of the block's DATA in the blob (after its varint and CID). */
  offset: number
  /** Length of the block's data in bytes. */
  length: number
}

/** One entry of a {@link BlockIndex}: a block (by multihash) at a location. */
export interface BlockIndexEntry {
  block: MultihashDigest
  location: BlockLocation
}

/**
 * What names an entry for removal: the block and the blob holding it, and, when the caller knows
 * it, where in the blob (the S3 backend keeps the location in the key: with it, a removal is one
 * DELETE; without it, a LIST of the pair's entries first).
 */
export interface BlockIndexKey {
  block: MultihashDigest
  blob: MultihashDigest
  /** The block's offset in the blob, as written. */
  offset?: number
  /** The block's length, as written. */
  length?: number
}

/** Entries for a batched write or removal: a list, or a stream of them. */
export type Entries<T> = Iterable<T> | AsyncIterable<T>

/**
 * The block-location lookup: block multihash → the locations (blob, offset, length) of its data,
 * one per blob that holds it. Keyed by the multihash alone (the CID's codec is not part of the
 * key: the same bytes under two codecs are one entry). Entries are pointers: a blob they name is
 * written before them and outlives them.
 */
export interface BlockIndex {
  /** Acquires the backend's resources (opens the database). Idempotent. */
  open(): Promise<void>

  /** Releases them. Idempotent. */
  close(): Promise<void>

  /**
   * Writes `entries` in batches (one LevelDB batch per `batchSize`; bounded concurrency on S3). An
   * entry for a (block, blob) pair already present at another location replaces it, or is added
   * beside it (S3, whose key is the location): a blob is immutable, so both locations hold the
   * block's bytes (a block is at two places of one blob only when the CAR repeats it), and readers
   * verify what they read. NOT atomic: a failure may leave
   * some entries written; the caller removes them with `deleteMany` (as `CarStore.importCar` does).
   * @throws the backend's errors (e.g. `UnavailableError`), after in-flight writes have settled.
   */
  putMany(entries: Entries<BlockIndexEntry>, options?: IOOptions): Promise<void>

  /** The locations of `block`, in no particular order; `[]` when none is known. */
  get(block: MultihashDigest, options?: IOOptions): Promise<BlockLocation[]>

  /** Whether any location of `block` is known. */
  has(block: MultihashDigest, options?: IOOptions): Promise<boolean>

  /** Removes the (block, blob) entries, in batches; a missing one is not an error. */
  deleteMany(keys: Entries<BlockIndexKey>, options?: IOOptions): Promise<void>
}

/** What the package keeps about each imported CAR, keyed by its digest. */
export interface CarRecord {
  /** The CAR blob's sha2-256 multihash. */
  digest: MultihashDigest
  /** Its size in bytes. */
  size: number
  /** The roots in its header, in order. */
  roots: CID[]
  /** Its block sections (duplicates counted). */
  blocks: number
  /** The CID (codec car, 0x0202, sha2-256) of its `index/sharded/dag@0.1` archive, a blob too. */
  index: CID
  /**
   * Whether every link of every dag-cbor, dag-pb and dag-json block points at a block inside the
   * CAR (and every root is inside it): such a CAR is a whole DAG and `exportCar` serves it as stored.
   */
  complete: boolean
}

/** What {@link CarStore.importCar} answers. */
export interface ImportResult extends CarRecord {
  /** `false` when the CAR was already imported: nothing was written. */
  created: boolean
}

/** How much of a DAG an export holds. */
export type ExportScope = 'all' | 'block'
