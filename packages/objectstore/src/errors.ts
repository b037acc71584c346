import type { ByteRange } from './range.js'

/**
 * Errors thrown by every object-store backend. Each has a stable `name` (safe to switch on
 * across package copies, unlike `instanceof`), structured fields, and the underlying error as
 * `cause` where there is one. The HTTP status for each name lives in one table in `apps/server`.
 */

/** Options accepted by every error constructor. */
export interface StoreErrorOptions {
  /** The lower-level error this one wraps. */
  cause?: unknown
}

/** No object is stored under `key`. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError'
  readonly key: string

  constructor(key: string, options?: StoreErrorOptions) {
    super(`object not found: ${key}`, options)
    this.key = key
  }
}

/** The requested range lies (partly) outside an object of `size` bytes, or is malformed. */
export class RangeNotSatisfiableError extends Error {
  override readonly name = 'RangeNotSatisfiableError'
  readonly range: ByteRange
  readonly size: number

  constructor(range: ByteRange, size: number, options?: StoreErrorOptions) {
    const shown = 'suffix' in range ? `-${range.suffix}` : `${range.start}-${range.end ?? ''}`
    super(`range ${shown} not satisfiable for an object of ${size} bytes`, options)
    this.range = range
    this.size = size
  }
}

/** The body ended before `expected` bytes; `actual` bytes were received. */
export class TooSmallError extends Error {
  override readonly name = 'TooSmallError'
  readonly expected: number
  readonly actual: number

  constructor(expected: number, actual: number, options?: StoreErrorOptions) {
    super(`body has ${actual} bytes, fewer than the declared ${expected}`, options)
    this.expected = expected
    this.actual = actual
  }
}

/**
 * The body is longer than `expected` bytes, or `expected` itself exceeds a backend limit.
 * `actual` is a lower bound: reading stops at the first byte past the limit.
 */
export class TooLargeError extends Error {
  override readonly name = 'TooLargeError'
  readonly expected: number
  readonly actual: number

  constructor(expected: number, actual: number, options?: StoreErrorOptions) {
    super(`body has at least ${actual} bytes, more than the allowed ${expected}`, options)
    this.expected = expected
    this.actual = actual
  }
}

/** The key is not acceptable to the backend (charset, length or shape); `reason` says why. */
export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError'
  readonly key: string
  readonly reason: string

  constructor(key: string, reason: string, options?: StoreErrorOptions) {
    super(`invalid key ${JSON.stringify(key)}: ${reason}`, options)
    this.key = key
    this.reason = reason
  }
}

/** The backend cannot be reached or answered with a server-side failure; retrying may succeed. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError'
  readonly backend: string

  constructor(backend: string, message: string, options?: StoreErrorOptions) {
    super(`${backend} unavailable: ${message}`, options)
    this.backend = backend
  }
}

/** The backend's storage is full (ENOSPC, quota); nothing was written. */
export class InsufficientStorageError extends Error {
  override readonly name = 'InsufficientStorageError'
  readonly backend: string

  constructor(backend: string, options?: StoreErrorOptions) {
    super(`${backend} has no space left`, options)
    this.backend = backend
  }
}

/**
 * A conditional put's condition does not hold: `ifMatch` names an etag the object no longer has
 * (or the object is gone), or `ifNoneMatch: '*'` found an object. Nothing was written.
 */
export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError'
  readonly key: string
  /** The condition that failed: `if-match` or `if-none-match`. */
  readonly condition: 'if-match' | 'if-none-match'

  constructor(key: string, condition: 'if-match' | 'if-none-match', options?: StoreErrorOptions) {
    super(`precondition ${condition} failed for ${key}`, options)
    this.key = key
    this.condition = condition
  }
}

/** The directory is not a flatfs store this backend can use (foreign content or shard function). */
export class FlatfsLayoutError extends Error {
  override readonly name = 'FlatfsLayoutError'
  readonly path: string

  constructor(path: string, message: string, options?: StoreErrorOptions) {
    super(`${path}: ${message}`, options)
    this.path = path
  }
}

/** Another process holds the store's directory lock (one process per flatfs directory). */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError'
  readonly path: string
  /** The pid written in the lock file, when it could be read. */
  readonly pid: number | undefined

  constructor(path: string, pid: number | undefined, options?: StoreErrorOptions) {
    const holder = pid === undefined ? 'another process' : `process ${pid}`
    super(`${path} is in use by ${holder}: one process per data directory`, options)
    this.path = path
    this.pid = pid
  }
}

/** The S3 server stayed silent for longer than the store's `requestTimeoutMs`. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError'
  readonly code = 'ETIMEDOUT'
  readonly timeoutMs: number

  constructor(timeoutMs: number) {
    super(`no answer from the S3 server within ${timeoutMs} ms`)
    this.timeoutMs = timeoutMs
  }
}
