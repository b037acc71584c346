import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { HttpError } from '../errors.js'
import { isFdExhaustion } from '../fds.js'

/**
 * How every error response of the server is shaped: `{ error: { name, message } }`. `name` is the
 * stable `name` of the error class (`NotFoundError`, `InvalidDigestError`, ...) or one of the
 * server's own names (`BadRequest`, `PreconditionFailed`, `UnsupportedMediaType`, `RouteNotFound`, `InternalError`).
 */
export interface ErrorBody {
  error: { name: string; message: string }
}

/**
 * THE one table from an error's `name` to its HTTP status. Errors are matched by `name`, not
 * `instanceof`, so copies of a package loaded twice still map. A name missing here answers 500
 * with a generic message.
 *
 * - `AbortError` (499, nginx's "client closed request"): the client went away; nobody reads it.
 * - `TimeoutError` / `RequestTimeoutError`: a backend call timed out, an outage like `UnavailableError`.
 * - `DecodeError` / `EncodeError`: stored or produced bytes are not what they should be: our fault.
 * - `ContentNotFoundError` (422): a reference (label, membership) to content that is not stored.
 * - `ContentCollectingError` (409): a reference to content garbage collection is deleting right now.
 * - `LabelConflictError` / `RepoBaseMismatchError` (412): a compare-and-swap lost; the routes add
 *   the current version (or head) as `ETag`.
 * - `OverloadedError`: no file descriptor left, or the upload budget is spent; also any error whose
 *   `code` (or a cause's) is `EMFILE` / `ENFILE`, whatever its name ({@link statusOf}).
 * - `UploadInProgressError`: another upload of the digest is being written (with `Retry-After`).
 * - `@strata/car`'s import errors carry the byte offset (and the block's CID) in their message:
 *   `CarFormatError` 400, `BlockTooLargeError` / `HeaderTooLargeError` 413; a block that does not
 *   hash to its CID is a `DigestMismatchError` (409); `BlockNotFoundError` 404.
 */
export const ERROR_STATUS: Readonly<Record<string, number>> = Object.freeze({
  BadRequest: 400,
  CarFormatError: 400,
  InvalidKeyError: 400,
  InvalidDigestError: 400,
  UnsupportedHashError: 400,
  TooSmallError: 400,
  InvalidLabelNameError: 400,
  InvalidRefError: 400,
  InvalidDidError: 400,
  InvalidUriError: 400,
  RepoCarError: 400,
  Forbidden: 403,
  NotFoundError: 404,
  BlockNotFoundError: 404,
  RouteNotFound: 404,
  LabelNotFoundError: 404,
  RepoNotFoundError: 404,
  NotAcceptable: 406,
  DigestMismatchError: 409,
  ContentCollectingError: 409,
  GcLeaseHeldError: 409,
  UploadInProgressError: 409,
  PreconditionFailed: 412,
  PreconditionFailedError: 412,
  LabelConflictError: 412,
  RepoBaseMismatchError: 412,
  TooLargeError: 413,
  BlockTooLargeError: 413,
  HeaderTooLargeError: 413,
  UnsupportedMediaType: 415,
  RangeNotSatisfiableError: 416,
  ContentNotFoundError: 422,
  AbortError: 499,
  DecodeError: 500,
  EncodeError: 500,
  OverloadedError: 503,
  UnavailableError: 503,
  GcLeaseLostError: 503,
  RequestTimeoutError: 503,
  TimeoutError: 503,
  InsufficientStorageError: 507,
})

/** The messages sent instead of the error's own for server-side statuses (details are logged, never sent). */
const PUBLIC_MESSAGES: Readonly<Record<number, string>> = {
  500: 'internal server error',
  503: 'the storage backend is unavailable; retry later',
  507: 'the storage backend has no space left',
}

/** Fixed public messages of server-side errors that are not the backend's. */
const PUBLIC_MESSAGES_BY_NAME: Readonly<Record<string, string>> = {
  OverloadedError: 'the server is overloaded; retry later',
}

/** Seconds a client is asked to wait before retrying after a 503 or a 409 `UploadInProgressError`. */
const RETRY_AFTER_SECONDS = '5'

/** Names answered with `Retry-After` besides every 503. */
const RETRY_AFTER_NAMES: ReadonlySet<string> = new Set(['UploadInProgressError'])

/**
 * The longest message a 4xx answer carries. Messages may quote what the client sent (a digest, a
 * field); longer ones are cut, so an answer never echoes a whole header or path.
 */
export const MAX_ERROR_MESSAGE_LENGTH = 256

/** `text` cut to `max` characters (an ellipsis marks the cut): for echoed input, in answers and logs. */
export function truncate(text: string, max = MAX_ERROR_MESSAGE_LENGTH): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/**
 * A JSON error response `{ error: { name, message } }` with `Cache-Control: no-store` (a 404 for a
 * digest turns into a 200 once the blob is uploaded, so errors are never cached).
 */
export function errorResponse(
  status: number,
  name: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): Response {
  const answer = errorAnswerOf(status, name, message, headers)
  return new Response(answer.body, { status, headers: answer.headers })
}

/** An error answer as plain data, for whichever transport writes it. `body` is empty for a 499. */
export interface ErrorAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

function errorAnswerOf(
  status: number,
  name: string,
  message: string,
  headers: Readonly<Record<string, string>>,
): ErrorAnswer {
  const body: ErrorBody = { error: { name, message } }
  return {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    },
    body: JSON.stringify(body),
  }
}

/** The `name` of an error-like value, or `undefined`. */
function nameOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const name = (error as { name?: unknown }).name
  return typeof name === 'string' ? name : undefined
}

/**
 * The HTTP status for any thrown value: an {@link HttpError}'s or hono `HTTPException`'s own
 * status, else {@link ERROR_STATUS} by `name`, else 500.
 */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status
  if (error instanceof HTTPException) return error.status
  const name = nameOf(error)
  const status = name !== undefined ? ERROR_STATUS[name] : undefined
  if (status !== undefined) return status
  return isFdExhaustion(error) ? (ERROR_STATUS.OverloadedError ?? 503) : 500
}

/** The public name of an error answered `status`: its own if the table knows it, else a fixed one. */
function publicNameOf(error: unknown, status: number): string {
  const name = nameOf(error)
  if (name !== undefined && ERROR_STATUS[name] !== undefined) return name
  return status === 503 ? 'OverloadedError' : 'InternalError'
}

/** The minimal logger the error handler writes server-side failures to (a pino logger fits). */
export interface ErrorLogger {
  error(details: object, message: string): void
  /** Where descriptor exhaustion is reported (no stack: it comes in floods). Default: `error`. */
  warn?(details: object, message: string): void
}

/** Options for {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /** Where 5xx errors are logged with their stack and cause. Default: not logged. */
  logger?: ErrorLogger
}

/**
 * The response for any thrown value, from the one status table:
 * - 4xx: `{ error: { name, message } }` with the error's own name and message;
 * - 5xx: a fixed public message per status (stack traces, paths, hosts never leave the server),
 *   `InternalError` as the name of anything unknown; the real error goes to `logger`;
 * - 416 of a `RangeNotSatisfiableError` carrying `size`: `Content-Range: bytes *\/size`;
 * - 503: `Retry-After: 5`;
 * - a request whose client is gone (its signal aborted, or `AbortError`): an empty 499 nobody reads.
 */
export function toErrorResponse(
  error: unknown,
  options: ErrorHandlerOptions & { signal?: AbortSignal } = {},
): Response {
  const answer = errorAnswer(error, options)
  return new Response(answer.status === 499 ? null : answer.body, {
    status: answer.status,
    headers: answer.headers,
  })
}

/** {@link toErrorResponse} as plain data (status, headers, JSON text). */
export function errorAnswer(
  error: unknown,
  options: ErrorHandlerOptions & { signal?: AbortSignal } = {},
): ErrorAnswer {
  const status = statusOf(error)
  if (status === 499 || options.signal?.aborted === true) return { status: 499, headers: {}, body: '' }
  const headers: Record<string, string> = error instanceof HttpError ? { ...error.headers } : {}
  const size = (error as { size?: unknown } | null)?.size
  if (status === 416 && typeof size === 'number' && Number.isSafeInteger(size)) {
    headers['Content-Range'] ??= `bytes */${size}`
  }
  const name = nameOf(error)
  if (status === 503 || (name !== undefined && RETRY_AFTER_NAMES.has(name))) {
    headers['Retry-After'] ??= RETRY_AFTER_SECONDS
  }
  if (status >= 500) {
    const publicName = publicNameOf(error, status)
    if (publicName === 'OverloadedError' && options.logger?.warn) {
      const { code } = error as { code?: unknown }
      options.logger.warn(
        { error: name, code, message: (error as Error).message },
        'request refused: overloaded',
      )
    } else {
      options.logger?.error({ err: error }, 'request failed')
    }
    const message = PUBLIC_MESSAGES_BY_NAME[publicName] ?? PUBLIC_MESSAGES[status] ?? 'server error'
    return errorAnswerOf(status, publicName, message, headers)
  }
  if (error instanceof HTTPException) {
    // hono's own 4xx: its JSON validator's parse failure is the server's `body: expected a JSON object`
    const malformed = error.message === 'Malformed JSON in request body'
    const message = malformed ? 'body: expected a JSON object' : truncate(error.message)
    return errorAnswerOf(status, status === 400 ? 'BadRequest' : 'HTTPException', message, headers)
  }
  const message = truncate(error instanceof Error ? error.message : String(error))
  return errorAnswerOf(status, name ?? 'Error', message, headers)
}

/** A hono `onError` handler answering every error with {@link toErrorResponse}. */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorHandler {
  return (error: Error, c: Context) => toErrorResponse(error, { ...options, signal: c.req.raw.signal })
}

/**
 * A hono `notFound` handler: `404 { error: { name: 'RouteNotFound', message } }` for unknown routes.
 * The message is fixed (it names the method only): a path may be any length and is the client's own.
 */
export const routeNotFound: NotFoundHandler = (c) =>
  errorResponse(404, 'RouteNotFound', `no route for ${truncate(c.req.method, 16)} on this path`)
