import { createHash } from 'node:crypto'
import type { PutOptions } from './contract.js'
import { PreconditionFailedError } from './errors.js'

/**
 * The etag of an object held whole (memory, datastore): hex MD5 of its bytes, as S3 computes it
 * for a single-part object. Rewriting the same bytes keeps it; any other bytes change it.
 */
export function contentEtag(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex')
}

/**
 * Checks a put's conditions against the etag currently stored under `key` (`undefined`: nothing
 * is stored).
 * @throws {PreconditionFailedError} a condition does not hold.
 */
export function checkConditions(key: string, current: string | undefined, options: PutOptions): void {
  if (options.ifNoneMatch === '*' && current !== undefined) {
    throw new PreconditionFailedError(key, 'if-none-match')
  }
  if (options.ifMatch !== undefined && current !== options.ifMatch) {
    throw new PreconditionFailedError(key, 'if-match')
  }
}

/** Whether a put carries a condition. */
export function isConditional(options: PutOptions): boolean {
  return options.ifMatch !== undefined || options.ifNoneMatch !== undefined
}
