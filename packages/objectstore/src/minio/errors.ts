import { NotFoundError, UnavailableError } from '../errors.js'
import type { RequestScope } from './transport.js'

/** The `backend` named by the {@link UnavailableError}s of this store. */
export const BACKEND = 's3'

/** Node socket and DNS error codes that mean "the server cannot be reached right now". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
])

/** S3 error codes of transient, server-side failures (answered with 5xx, or 400 for RequestTimeout). */
const TRANSIENT_S3_CODES = new Set(['InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout'])

/** The S3 error `code` of a minio-js error (`NoSuchKey`, `InvalidRange`…) or Node error code, if any. */
export function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/** Whether `error` is S3's answer for a missing object (`NoSuchKey` on GET, `NotFound` on HEAD). */
export function isNotFound(error: unknown): boolean {
  const code = codeOf(error)
  return code === 'NoSuchKey' || code === 'NotFound'
}

/**
 * Maps what a minio call threw to the contract's errors, the original kept as `cause`:
 * the call's abort reason when its signal fired; `NoSuchKey` / `NotFound` → `NotFoundError` (when
 * the call concerns a `key`); network errors, timeouts and 5xx answers → `UnavailableError`.
 * Anything else (access denied, a bucket that vanished, the contract's own errors) is returned as is.
 */
export function toStoreError(
  error: unknown,
  context: { key?: string; signal?: AbortSignal | undefined; scope?: RequestScope },
): unknown {
  if (context.signal?.aborted) return context.signal.reason
  if (context.key !== undefined && isNotFound(error)) return new NotFoundError(context.key, { cause: error })
  const code = codeOf(error)
  const status = context.scope?.response?.status ?? 0
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new UnavailableError(BACKEND, describe(error), { cause: error })
  }
  if (status >= 500 || (code !== undefined && TRANSIENT_S3_CODES.has(code))) {
    const what = code ?? `HTTP ${status}`
    return new UnavailableError(BACKEND, `server answered ${what} (HTTP ${status || '?'})`, { cause: error })
  }
  return error
}

function describe(error: unknown): string {
  return error instanceof Error && error.message !== '' ? error.message : String(codeOf(error))
}
