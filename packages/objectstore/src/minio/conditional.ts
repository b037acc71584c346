import { createHash } from 'node:crypto'
import type { ObjectStat, PutOptions } from '../contract.js'
import { PreconditionFailedError } from '../errors.js'
import { codeOf, toStoreError } from './errors.js'
import type { RequestScope } from './transport.js'

/**
 * `If-Match` / `If-None-Match` request headers of a conditional put. The etag goes without quotes:
 * Ceph RGW 16 compares the header verbatim with its unquoted ETag (a quoted one never matches),
 * while MinIO and AWS strip the quotes before comparing.
 */
export function conditionHeaders(options: PutOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch.replace(/^"|"$/g, '')
  if (options.ifNoneMatch !== undefined) headers['if-none-match'] = options.ifNoneMatch
  return headers
}

/** The condition a put carried, for its `PreconditionFailedError`. */
function conditionOf(options: PutOptions): 'if-match' | 'if-none-match' {
  return options.ifNoneMatch === undefined ? 'if-match' : 'if-none-match'
}

/** How a conditional PUT that failed ended, once the object was looked at again. */
export type ConditionalOutcome = 'written' | 'refused' | 'not-written'

/**
 * Decides what a conditional PUT that failed without a 412 did. S3 answers a write that raced
 * another conditional write with 409 `ConditionalRequestConflict` (AWS) or a bare 500 (Ceph RGW 16,
 * measured: the losers of 12 racing `If-Match` writers get 500 or 412, never two winners); a 5xx or
 * a lost connection leaves the outcome unknown. The object is looked at (`current`: its etag now,
 * `undefined` when absent): holding our bytes (`ours`, the MD5 S3 gives a single-part object) it
 * was `written`; still satisfying the condition, it was `not-written` (retrying may succeed);
 * otherwise another writer won: `refused`.
 */
export function outcomeOf(
  options: PutOptions,
  current: string | undefined,
  ours: string,
): ConditionalOutcome {
  if (current === ours) return 'written'
  const holds =
    options.ifNoneMatch === '*' ? current === undefined : current === options.ifMatch?.replace(/^"|"$/g, '')
  return holds ? 'not-written' : 'refused'
}

/** Whether a failed conditional PUT was refused outright (412) rather than of unknown outcome. */
export function isRefused(error: unknown, scope: RequestScope): boolean {
  return codeOf(error) === 'PreconditionFailed' || scope.response?.status === 412
}

/** Whether a failed conditional PUT may have raced (409, 5xx, no answer): worth a look at the object. */
export function isUncertain(error: unknown, scope: RequestScope): boolean {
  const status = scope.response?.status
  return (
    status === undefined || status === 409 || status >= 500 || codeOf(error) === 'ConditionalRequestConflict'
  )
}

/** The `PreconditionFailedError` of a refused conditional put. */
export function refused(key: string, options: PutOptions, cause: unknown): PreconditionFailedError {
  return new PreconditionFailedError(key, conditionOf(options), { cause })
}

/** S3's etag of a single-part object: the hex MD5 of its bytes. */
export function md5Of(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex')
}

/** A conditional PUT that failed, and how to look at its object again. */
export interface FailedConditionalPut {
  key: string
  /** The bytes the PUT carried. */
  bytes: Uint8Array
  options: PutOptions
  error: unknown
  scope: RequestScope
  /** One HEAD of the key. */
  stat(key: string): Promise<ObjectStat>
}

/**
 * Settles a conditional PUT that failed: a 412 is a `PreconditionFailedError`; an uncertain
 * answer (409, 5xx, no answer: see {@link outcomeOf}) costs a HEAD that tells whether our bytes
 * landed (then the put succeeded: this returns), the condition still holds (`UnavailableError`:
 * retry) or another writer won (`PreconditionFailedError`).
 */
export async function settleConditional(failed: FailedConditionalPut): Promise<void> {
  const { key, options, error, scope } = failed
  if (isRefused(error, scope)) throw refused(key, options, error)
  if (!isUncertain(error, scope)) throw toStoreError(error, { signal: options.signal, scope })
  const current = await failed.stat(key).then(
    (found) => found.etag,
    (failure: unknown) => {
      if ((failure as Error).name === 'NotFoundError') return undefined
      throw failure
    },
  )
  const outcome = outcomeOf(options, current, md5Of(failed.bytes))
  if (outcome === 'written') return
  if (outcome === 'refused') throw refused(key, options, error)
  throw toStoreError(error, { signal: options.signal, scope })
}
