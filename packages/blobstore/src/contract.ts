import type { Body, ByteRange, IOOptions, ObjectResult } from '@strata/objectstore'
import type { MultihashDigest } from 'multiformats/hashes/interface'

export type { Body, ByteRange, IOOptions, ObjectResult } from '@strata/objectstore'
export type { MultihashDigest } from 'multiformats/hashes/interface'

/** Options for {@link BlobStore.put}. */
export interface BlobPutOptions extends IOOptions {}

/** Options for {@link BlobStore.get}. */
export interface BlobGetOptions extends IOOptions {
  /** Inclusive byte range to read; absent = the whole blob. */
  range?: ByteRange
}

/** What {@link BlobStore.get} answers: `size` is the TOTAL blob size, whatever range was asked for. */
export type BlobResult = ObjectResult

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
   * Opens the blob for reading; `range` is inclusive and `size` is the total blob size.
   * @throws {NotFoundError} no blob is stored under `digest`.
   * @throws {RangeNotSatisfiableError} the range lies (partly) outside the blob.
   */
  get(digest: MultihashDigest, options?: BlobGetOptions): Promise<BlobResult>

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
