import type { ByteRange, ResolvedRange } from './range.js'

/** An object body: bytes in one piece or streamed as chunks. */
export type Body = Uint8Array | AsyncIterable<Uint8Array>

/** Options taken by every I/O method. */
export interface IOOptions {
  /** Aborting releases the file handles and sockets the call holds and rejects it with the signal's reason. */
  signal?: AbortSignal
}

/** Options for {@link ObjectStore.put}: a put may be conditional (compare-and-swap). */
export interface PutOptions extends IOOptions {
  /** Write only if the stored object's etag is this one (as `stat`/`get` answered it). */
  ifMatch?: string
  /** `'*'`: write only if nothing is stored under the key. */
  ifNoneMatch?: '*'
}

/** Options for {@link ObjectStore.get}. */
export interface GetOptions extends IOOptions {
  /** The bytes to read; absent = the whole object. */
  range?: ByteRange
}

/** What {@link ObjectStore.stat} answers: an object's metadata, without its body. */
export interface ObjectStat {
  /** The TOTAL size of the object in bytes. */
  size: number
  /**
   * An opaque validator that changes whenever the object is rewritten with other bytes (S3's ETag;
   * a content hash on memory and datastore; inode, size and mtime on flatfs). `put` takes it as `ifMatch`.
   */
  etag: string
  /** When the object was last written, where the backend keeps it (every backend but datastore/level). */
  lastModified?: Date
}

/** What {@link ObjectStore.get} answers. */
export interface ObjectResult extends ObjectStat {
  /** The bytes `body` holds, resolved against `size` (the whole object without a range). */
  range: ResolvedRange
  /**
   * The requested bytes. Iterate it to the end or break out of the loop: either releases the
   * underlying handle. A body that is never iterated holds its handle until the signal aborts.
   */
  body: AsyncIterable<Uint8Array>
  /**
   * The same bytes in one piece, when the backend has them so already (memory, datastore and level
   * hold objects whole; flatfs reads a range up to its chunk size in one read): readers of small
   * records and ranges use it instead of iterating `body`, which then holds nothing and need not
   * be read. Absent when streamed.
   */
  bytes?: Uint8Array
  /**
   * Gives `bytes`, or a chunk of `body`, back to the backend for reuse, once nothing refers to it
   * any more (a server calls it when the socket has taken the chunk). Optional both ways: backends
   * that reuse read buffers (flatfs) offer it, and a chunk never given back is garbage collected.
   * Anything not from this result, or given back twice, is ignored.
   */
  recycle?: (chunk: Uint8Array) => void
}

/**
 * The streaming object-store contract every backend implements.
 *
 * Writes are atomic: a reader sees the old object or the whole new one, never a part, and a failed
 * or aborted `put` leaves nothing visible under the key. Each call costs one backend request
 * (one S3 request, one file open) unless its documentation says otherwise.
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
   * Stores `body` under `key`, replacing any previous object, if the conditions in `options` hold.
   * @param size the declared length of `body` in bytes, or `undefined` when the writer does not
   *   know it (the body is then taken whole, up to the backend's limit).
   * @throws {TooSmallError} the body ended before `size` bytes.
   * @throws {TooLargeError} the body went past `size` bytes, or `size` is over the backend's limit.
   * @throws {InvalidKeyError} the backend cannot store this key.
   * @throws {PreconditionFailedError} `ifMatch` / `ifNoneMatch` did not hold when the put committed.
   */
  put(key: string, size: number | undefined, body: Body, options?: PutOptions): Promise<void>

  /**
   * Opens the object under `key` for reading, in one backend request whatever the range form.
   * @throws {NotFoundError} no object is stored under `key`.
   * @throws {RangeNotSatisfiableError} the range selects no byte of the object (see `resolveRange`).
   */
  get(key: string, options?: GetOptions): Promise<ObjectResult>

  /**
   * The object's size and etag, without opening its body.
   * @throws {NotFoundError} no object is stored under `key`.
   */
  stat(key: string, options?: IOOptions): Promise<ObjectStat>

  /** Whether an object is stored under `key`. */
  has(key: string, options?: IOOptions): Promise<boolean>

  /** Removes the object under `key`; removing a missing key is not an error. */
  delete(key: string, options?: IOOptions): Promise<void>

  /**
   * Makes the object under `from` the object under `to` (replacing any) and removes `from`.
   * Readers of `to` see the old object or the whole moved one, never a part. A failed move leaves
   * `from` in place. Used to publish content staged under a temporary key.
   * @throws {NotFoundError} nothing is stored under `from`.
   */
  move(from: string, to: string, options?: IOOptions): Promise<void>

  /**
   * Yields every stored key that starts with `prefix` as a raw string (S3 semantics, not path
   * segments: prefix `ab` matches `abc` and `ab/c`). The order is unspecified.
   */
  list(prefix?: string, options?: IOOptions): AsyncIterable<string>
}
