/**
 * Errors of `@strata/blockstore`. Each has a stable `name` (safe to switch on across package
 * copies), structured fields and `cause`. A missing block is interface-store's `NotFoundError`
 * (re-exported here), as every interface-blockstore implementation throws it; the blob store's and
 * the CAR store's errors (`DigestMismatchError`, `UnsupportedHashError`, …) pass through unchanged.
 */
import type { CID } from 'multiformats/cid'

export { NotFoundError } from 'interface-store'

/** Options accepted by every error constructor. */
export interface BlockstoreErrorOptions {
  cause?: unknown
}

/** A write (`put`, `delete`, …) on a blockstore opened read-only (e.g. a Kubo repository's blocks). */
export class ReadOnlyError extends Error {
  override readonly name = 'ReadOnlyError'
  /** The method that was refused. */
  readonly operation: string

  constructor(operation: string, options?: BlockstoreErrorOptions) {
    super(`this blockstore is read-only: ${operation} refused`, options)
    this.operation = operation
  }
}

/** A block given to `put` is larger than `maxBlockSize`; refused as soon as the limit was passed. */
export class BlockTooLargeError extends Error {
  override readonly name = 'BlockTooLargeError'
  readonly cid: CID
  /** Bytes received when it was refused (more than `limit`). */
  readonly length: number
  readonly limit: number

  constructor(cid: CID, length: number, limit: number, options?: BlockstoreErrorOptions) {
    super(`block ${cid} is over the limit of ${limit} bytes (${length} received)`, options)
    this.cid = cid
    this.length = length
    this.limit = limit
  }
}

/** An identity CID whose bytes are not the ones given to `put`. */
export class IdentityMismatchError extends Error {
  override readonly name = 'DigestMismatchError'
  readonly cid: CID

  constructor(cid: CID, options?: BlockstoreErrorOptions) {
    super(`bytes given for identity CID ${cid} are not the bytes it carries`, options)
    this.cid = cid
  }
}
