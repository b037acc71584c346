/**
 * Errors of the local-only stores. Each has a stable `name` (safe to switch on across package
 * copies, unlike `instanceof`) and structured fields. A missing key or batch throws `NotFoundError`
 * from `@strata/objectstore`, re-exported here for convenience.
 */

export { NotFoundError } from '@strata/objectstore'

/** Options accepted by every error constructor. */
export interface LocalErrorOptions {
  /** The lower-level error this one wraps. */
  cause?: unknown
}

/**
 * A keystore name is not acceptable; `reason` says why. The message names the key, never its bytes.
 * (The field is `keyName`: `name` is the error's class name.)
 */
export class InvalidKeyNameError extends Error {
  override readonly name = 'InvalidKeyNameError'
  readonly keyName: string
  readonly reason: string

  constructor(keyName: string, reason: string, options?: LocalErrorOptions) {
    super(`invalid key name ${JSON.stringify(keyName)}: ${reason}`, options)
    this.keyName = keyName
    this.reason = reason
  }
}

/**
 * The journal's `egress.car.wip` holds bytes that are neither a valid section nor a torn tail (a
 * crash cut short), so opening it would lose or misread receipts. Nothing was modified: the bytes
 * before `offset` are intact entries; move the file aside (or cut it at `offset`) to recover.
 */
export class JournalCorruptError extends Error {
  override readonly name = 'JournalCorruptError'
  readonly path: string
  readonly offset: number
  readonly reason: string

  constructor(path: string, offset: number, reason: string, options?: LocalErrorOptions) {
    super(`${path} is corrupt at byte ${offset}: ${reason}`, options)
    this.path = path
    this.offset = offset
    this.reason = reason
  }
}
