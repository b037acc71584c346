/**
 * Errors of the blob store. Like the object-store errors (re-exported here so one import covers
 * every error a `VerifiedBlobStore` throws), each has a stable `name`, structured fields and `cause`.
 */

import type { StoreErrorOptions } from '@strata/objectstore'
import { base58btc } from 'multiformats/bases/base58'
import type { MultihashDigest } from 'multiformats/hashes/interface'

export {
  InsufficientStorageError,
  InvalidKeyError,
  NotFoundError,
  RangeNotSatisfiableError,
  type StoreErrorOptions,
  TooLargeError,
  TooSmallError,
  UnavailableError,
} from '@strata/objectstore'

/** The body does not hash to the digest it was put under; nothing was stored. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError'
  /** The digest the blob was put under. */
  readonly expected: MultihashDigest
  /** The digest of the bytes actually received (same hash function as `expected`). */
  readonly actual: MultihashDigest

  constructor(expected: MultihashDigest, actual: MultihashDigest, options?: StoreErrorOptions) {
    super(
      `body hashes to ${base58btc.encode(actual.bytes)}, not the expected ${base58btc.encode(expected.bytes)}`,
      options,
    )
    this.expected = expected
    this.actual = actual
  }
}

/** The digest's hash function (multicodec `code`) is not one the blob store can verify. */
export class UnsupportedHashError extends Error {
  override readonly name = 'UnsupportedHashError'
  /** The multihash code that was asked for. */
  readonly code: number

  constructor(code: number, supported: readonly string[], options?: StoreErrorOptions) {
    super(
      `hash function 0x${code.toString(16)} is not supported (supported: ${supported.join(', ')})`,
      options,
    )
    this.code = code
  }
}

/**
 * The digest is malformed: its length does not match its hash function (e.g. a 31-byte sha2-256),
 * or its `code` / `digest` fields disagree with its `bytes`. `reason` says which.
 */
export class InvalidDigestError extends Error {
  override readonly name = 'InvalidDigestError'
  readonly code: number
  readonly reason: string

  constructor(code: number, reason: string, options?: StoreErrorOptions) {
    super(`invalid multihash digest (code 0x${code.toString(16)}): ${reason}`, options)
    this.code = code
    this.reason = reason
  }
}
