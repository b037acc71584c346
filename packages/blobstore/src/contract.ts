import type { Body, ByteRange, IOOptions, ObjectResult } from '@strata/objectstore'
import type { MultihashDigest } from 'multiformats/hashes/interface'

export type { Body, ByteRange, IOOptions, ObjectResult, ResolvedRange } from '@strata/objectstore'
export type { MultihashDigest } from 'multiformats/hashes/interface'

/** Options for {@link BlobStore.put}. */
export interface BlobPutOptions extends IOOptions {}

/** Options for {@link BlobStore.get}. */
export interface BlobGetOptions extends IOOptions {
  /** The bytes to read (closed, open-ended or suffix); absent = the whole blob. */
  range?: ByteRange
}

/**
 * What {@link BlobStore.get} answers: `size` is the TOTAL blob size, whatever range was asked for,
 * and `range` the bytes `body` holds.
 */
export type BlobResult = ObjectResult

/** What {@link BlobStore.stat} answers. */
export interface BlobStat {
  /** The blob's size in bytes. */
  size: number
  /** When it was stored, where the backend keeps it. */
  lastModified?: Date
}

/** Options for {@link BlobStore.add}. */
export interface BlobAddOptions extends IOOptions {
  /** The declared length of the body; absent = whatever it holds, up to the backend's limit. */
  size?: number
}

/** What {@link BlobStore.add} answers. */
export interface AddResult extends PutResult {
  /** The sha2-256 multihash of the content: its key in the store. */
  digest: MultihashDigest
  /** Bytes stored. */
  size: number
}

/** What {@link BlobStore.put} answers. */
export interface PutResult {
  /**
   * `true` when this call stored the blob; `false` when it was already stored and the body was
   * left unread (an HTTP layer answers 201 vs 200 from this).
   */
  created: boolean
}

/**
 * Content-addressed blobs, keyed by multihash. Every blob in the store hashes to its key: `put`
 * verifies the bytes while it writes them and stores nothing that does not verify.
 */
export interface BlobStore {
  /**
   * Stores the `size` bytes of `body` under `digest`, hashing them as they stream to the backend.
   * A failed put (any error below, or an abort) leaves nothing visible under the digest, not even
   * briefly. When the blob is already stored the body is NOT read and `{ created: false }` is
   * answered: the stored bytes are content-addressed and were verified when they were written.
   * @param size the declared length of `body` in bytes.
   * @throws {UnsupportedHashError} the digest's hash function cannot be verified (before any read).
   * @throws {InvalidDigestError} the digest is malformed, e.g. its length is wrong (before any read).
   * @throws {TooSmallError | TooLargeError} the body is shorter or longer than `size`.
   * @throws {DigestMismatchError} the body does not hash to `digest`.
   */
  put(digest: MultihashDigest, size: number, body: Body, options?: BlobPutOptions): Promise<PutResult>

  /**
   * Stores content whose digest the caller does not know (`store(content) → ref`): the body is
   * staged under a temporary key while it is hashed (sha2-256), then moved to its digest's key, so
   * it is visible whole or not at all; a blob already stored is kept and the staged copy dropped.
   * A failure removes the staged copy.
   * @throws {TooSmallError | TooLargeError} the body is shorter or longer than `options.size`.
   */
  add(body: Body, options?: BlobAddOptions): Promise<AddResult>

  /**
   * Opens the blob for reading; `range` is inclusive and `size` is the total blob size.
   * @throws {NotFoundError} no blob is stored under `digest`.
   * @throws {RangeNotSatisfiableError} the range lies (partly) outside the blob.
   */
  get(digest: MultihashDigest, options?: BlobGetOptions): Promise<BlobResult>

  /**
   * The blob's size, without opening it (one backend request).
   * @throws {NotFoundError} no blob is stored under `digest`.
   */
  stat(digest: MultihashDigest, options?: IOOptions): Promise<BlobStat>

  /** Whether a blob is stored under `digest`. */
  has(digest: MultihashDigest, options?: IOOptions): Promise<boolean>

  /** Removes the blob; removing a missing blob is not an error. */
  delete(digest: MultihashDigest, options?: IOOptions): Promise<void>

  /** Yields the digest of every stored blob, in no particular order. */
  list(options?: IOOptions): AsyncIterable<MultihashDigest>
}

/** Maps digests to backend keys and back. */
export interface KeyEncoder {
  /** The backend key of `digest`. */
  encode(digest: MultihashDigest): string
  /**
   * The digest a backend key stands for.
   * @throws {InvalidKeyError} `key` is not one `encode` produces.
   */
  decode(key: string): MultihashDigest
}
