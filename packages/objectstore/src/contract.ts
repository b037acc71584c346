import type { ByteRange } from './errors.js'

/** An object body: bytes in one piece or streamed as chunks. */
export type Body = Uint8Array | AsyncIterable<Uint8Array>

/** Options taken by every I/O method. */
export interface IOOptions {
  /** Aborting releases the file handles and sockets the call holds and rejects it with the signal's reason. */
  signal?: AbortSignal
}

/** Options for {@link ObjectStore.put}. */
export interface PutOptions extends IOOptions {}

/** Options for {@link ObjectStore.get}. */
export interface GetOptions extends IOOptions {
  /** Inclusive byte range to read; absent = the whole object. */
  range?: ByteRange
}

/** What {@link ObjectStore.get} answers. */
export interface ObjectResult {
  /** The TOTAL size of the object in bytes, whatever range was asked for. */
  size: number
  /**
   * The requested bytes. Iterate it to the end or break out of the loop: either releases the
   * underlying handle. A body that is never iterated holds its handle until the signal aborts.
   */
  body: AsyncIterable<Uint8Array>
}

/**
 * The streaming object-store contract every backend implements.
 *
 * Writes are atomic: a reader sees the old object or the whole new one, never a part, and a failed
 * or aborted `put` leaves nothing visible under the key.
 */
export interface ObjectStore {
  /**
   * Prepares the backend (creates directories, checks layouts, creates buckets). Idempotent.
   * @throws {Error} when the backend's storage is unusable (e.g. a foreign flatfs layout).
   */
  open(): Promise<void>

  /** Releases what `open` acquired. Idempotent. */
  close(): Promise<void>

  /**
   * Stores `body` under `key`, replacing any previous object.
   * @param size the declared length of `body` in bytes.
   * @throws {TooSmallError} the body ended before `size` bytes.
   * @throws {TooLargeError} the body went past `size` bytes, or `size` is over the backend's limit.
   * @throws {InvalidKeyError} the backend cannot store this key.
   */
  put(key: string, size: number, body: Body, options?: PutOptions): Promise<void>

  /**
   * Opens the object under `key` for reading.
   * @throws {NotFoundError} no object is stored under `key`.
   * @throws {RangeNotSatisfiableError} `range.start >= size`, `range.end < range.start` or `range.end >= size`.
   */
  get(key: string, options?: GetOptions): Promise<ObjectResult>

  /** Whether an object is stored under `key`. */
  has(key: string, options?: IOOptions): Promise<boolean>

  /** Removes the object under `key`; removing a missing key is not an error. */
  delete(key: string, options?: IOOptions): Promise<void>

  /**
   * Yields every stored key that starts with `prefix` as a raw string (S3 semantics, not path
   * segments: prefix `ab` matches `abc` and `ab/c`). The order is unspecified.
   */
  list(prefix?: string, options?: IOOptions): AsyncIterable<string>
}
