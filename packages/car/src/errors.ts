/**
 * Errors of `@strata/car`. Each has a stable `name` (safe to switch on across package copies),
 * structured fields and the underlying error as `cause`. Import errors carry the absolute byte
 * `offset` in the CAR where the fault was found (the start of the section or header at fault), and
 * the block's `cid` where one was read. The HTTP layer maps: `CarFormatError` 400,
 * `DigestMismatchError` 409, `BlockTooLargeError` / `HeaderTooLargeError` 413,
 * `BlockNotFoundError` 404.
 */
import {
  DigestMismatchError,
  type MultihashDigest,
  type StoreErrorOptions,
  UnsupportedHashError,
} from '@strata/blobstore'
import type { CID } from 'multiformats/cid'

export {
  DigestMismatchError,
  NotFoundError,
  type StoreErrorOptions,
  TooLargeError,
  TooSmallError,
  UnsupportedHashError,
} from '@strata/blobstore'

/** The bytes are not a CARv1 this package reads: bad varint, truncated, bad header or CID. */
export class CarFormatError extends Error {
  override readonly name = 'CarFormatError'
  /** Absolute offset in the CAR of the header or section at fault. */
  readonly offset: number
  /** What is wrong, e.g. `truncated section`. */
  readonly reason: string
  /** The CID of the section at fault, when it could be read. */
  readonly cid: CID | undefined

  constructor(offset: number, reason: string, options: StoreErrorOptions & { cid?: CID } = {}) {
    super(`malformed CAR at byte ${offset}: ${reason}${options.cid ? ` (${options.cid})` : ''}`, options)
    this.offset = offset
    this.reason = reason
    this.cid = options.cid
  }
}

/** A section declares more bytes than `maxBlockSize` allows; refused before it was buffered. */
export class BlockTooLargeError extends Error {
  override readonly name = 'BlockTooLargeError'
  readonly offset: number
  /** The declared length: the section's (CID + data) when refused from its varint, else the data's. */
  readonly length: number
  readonly limit: number
  readonly cid: CID | undefined

  constructor(
    offset: number,
    length: number,
    limit: number,
    options: StoreErrorOptions & { cid?: CID } = {},
  ) {
    super(`block at byte ${offset} declares ${length} bytes, over the limit of ${limit}`, options)
    this.offset = offset
    this.length = length
    this.limit = limit
    this.cid = options.cid
  }
}

/** The CAR header declares more bytes than `maxHeaderSize` allows; refused before it was buffered. */
export class HeaderTooLargeError extends Error {
  override readonly name = 'HeaderTooLargeError'
  readonly offset = 0
  readonly length: number
  readonly limit: number

  constructor(length: number, limit: number, options?: StoreErrorOptions) {
    super(`CAR header declares ${length} bytes, over the limit of ${limit}`, options)
    this.length = length
    this.limit = limit
  }
}

/**
 * A block whose bytes do not hash to its CID's multihash: in an imported CAR (with the section's
 * `offset`) or read back from storage (`offset` of its data in the blob). Keeps the blob store's
 * `name`, so one check covers both.
 */
export class BlockDigestMismatchError extends DigestMismatchError {
  readonly cid: CID
  readonly offset: number

  constructor(cid: CID, actual: MultihashDigest, offset: number, options?: StoreErrorOptions) {
    super(cid.multihash, actual, options)
    this.message = `block ${cid} at byte ${offset}: ${this.message}`
    this.cid = cid
    this.offset = offset
  }
}

/**
 * A block CID's hash function is not sha2-256, sha2-512 or identity. Keeps the blob store's `name`.
 */
export class UnsupportedBlockHashError extends UnsupportedHashError {
  readonly cid: CID
  readonly offset: number

  constructor(cid: CID, offset: number, options?: StoreErrorOptions) {
    super(cid.multihash.code, ['sha2-256 (0x12)', 'sha2-512 (0x13)', 'identity (0x0)'], options)
    this.message = `block ${cid} at byte ${offset}: ${this.message}`
    this.cid = cid
    this.offset = offset
  }
}

/** An import stopped because its signal aborted; `cause` is the signal's reason. Nothing was stored. */
export class ImportAbortedError extends Error {
  override readonly name = 'AbortError'
  /** How many bytes of the CAR had been read. */
  readonly offset: number

  constructor(offset: number, options?: StoreErrorOptions) {
    super(`CAR import aborted at byte ${offset}`, options)
    this.offset = offset
  }
}

/** No stored CAR holds the block (or every CAR that did is gone). */
export class BlockNotFoundError extends Error {
  override readonly name = 'BlockNotFoundError'
  readonly cid: CID

  constructor(cid: CID, options?: StoreErrorOptions) {
    super(`block not found: ${cid}`, options)
    this.cid = cid
  }
}
