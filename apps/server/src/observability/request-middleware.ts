import type { MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { HttpError } from '../errors.js'
import { ERROR_STATUS, truncate } from '../http/error-response.js'
import { type StrataMetrics, UNMATCHED_ROUTE } from './metrics.js'

/** The minimal logger of the request log (a pino logger fits). */
export interface RequestLogger {
  info(details: object, message: string): void
  /** Whether `info` lines are written now (the line is not built when they are not). */
  isLevelEnabled(level: 'info'): boolean
}

/** One line of the request log: what {@link observeRequests} logs once per request. */
export interface RequestLogLine {
  method: string
  /**
   * The URL path only, cut to {@link MAX_LOGGED_PATH_LENGTH} characters (an ellipsis marks the
   * cut): the query (which carries presigned signatures) is never logged.
   */
  path: string
  /** The matched route pattern, or `unmatched`. */
  route: string
  status: number
  /** Request body bytes (its `Content-Length`; 0 when absent). */
  bytesIn: number
  /** Response body bytes handed to the connection. */
  bytesOut: number
  /** Milliseconds from the request to the end (or abort) of its response body. */
  ms: number
  /** Present when the client went away, or the body failed, before the response body ended. */
  aborted?: true
  /** The name of the error answered, when one was. */
  error?: string
}

/** The longest path a request log line holds, in characters (a path may be as long as a header allows). */
export const MAX_LOGGED_PATH_LENGTH = 256

/** Options for {@link observeRequests}. */
export interface ObserveRequestsOptions {
  /** Receives one `request` line per request at `info`. Default: no log. */
  logger?: RequestLogger
  /** Counts every request. Default: no metrics. */
  metrics?: StrataMetrics
}

/** The public name of an error for `strata_errors_total`: bounded, like the names the API answers. */
export function errorMetricName(error: unknown): string {
  if (error instanceof HttpError) return error.name
  const name = (error as { name?: unknown } | null)?.name
  if (typeof name === 'string' && ERROR_STATUS[name] !== undefined) return name
  if (typeof name === 'string' && name === 'HTTPException') return name
  return 'InternalError'
}

export function contentLength(headers: Headers): number {
  const value = Number(headers.get('content-length') ?? '')
  return Number.isSafeInteger(value) && value > 0 ? value : 0
}

/**
 * Wraps `body` in a pull-based stream (backpressure kept, nothing read ahead) that counts the bytes
 * the connection takes and calls `done` once: at its end, on cancel (client gone) or on failure.
 * Cancelling it cancels `body`, so the backend read is released.
 */
function countingBody(
  body: ReadableStream<Uint8Array>,
  done: (bytes: number, outcome: 'end' | 'aborted' | Error) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let bytes = 0
  let finished = false
  const finish = (outcome: 'end' | 'aborted' | Error) => {
    if (finished) return
    finished = true
    done(bytes, outcome)
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done: ended, value } = await reader.read()
          if (ended) {
            controller.close()
            finish('end')
            return
          }
          bytes += value.byteLength
          controller.enqueue(value)
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)))
          controller.error(error)
        }
      },
      async cancel(reason) {
        finish('aborted')
        await reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}

/**
 * A hono middleware that, for every request, counts it in `metrics` (`strata_http_requests_total`,
 * `strata_http_request_duration_seconds`, bytes in/out, `strata_errors_total` for errors answered by
 * an `onError` handler or as `RouteNotFound`) and logs ONE line at `info`: method, path (no query),
 * route, status, bytes in, bytes out, ms. Headers are never logged, so neither `Authorization` nor
 * presigned signatures (which live in the query) reach the log.
 *
 * A streamed response body (blobs, CARs, multipart) is wrapped to count what the client actually
 * takes: the line is written when the body ends or the client disconnects (`aborted: true`), so `ms`
 * is the whole transfer. JSON and text answers (built in memory) are measured at once and sent
 * with a `Content-Length`.
 * Register it first, before any route.
 */
export function observeRequests(options: ObserveRequestsOptions = {}): MiddlewareHandler {
  const record = requestRecorder(options)
  return async (c, next) => {
    const started = performance.now()
    await next()
    const method = c.req.method
    const path = c.req.path
    const matched = matchedRoutes(c)[c.req.routeIndex]
    const route = matched === undefined || matched.method === 'ALL' ? UNMATCHED_ROUTE : matched.path
    const status = c.res.status
    const bytesIn = contentLength(c.req.raw.headers)
    const errorName =
      c.error !== undefined
        ? errorMetricName(c.error)
        : route === UNMATCHED_ROUTE && status === 404
          ? 'RouteNotFound'
          : undefined
    const finish = (bytesOut: number, outcome: 'end' | 'aborted' | Error) => {
      const ms = performance.now() - started
      record({ method, path, route, status, bytesIn, bytesOut, ms }, { outcome, errorName })
    }
    const res = c.res
    const body = res.body
    if (body === null || method === 'HEAD') {
      finish(0, 'end')
      return
    }
    const init = { status: res.status, statusText: res.statusText, headers: new Headers(res.headers) }
    c.res = undefined
    if (builtInMemory(res.headers)) {
      // JSON and text answers are built in memory: measured at once, sent with a Content-Length
      const bytes = new Uint8Array(await res.arrayBuffer())
      init.headers.set('content-length', String(bytes.byteLength))
      c.res = new Response(bytes, init)
      finish(bytes.byteLength, 'end')
      return
    }
    c.res = new Response(countingBody(body, finish), init)
  }
}

/** How a request ended, for {@link RequestRecorder}. */
export interface RequestOutcome {
  /** `end`: the body was sent whole; `aborted`: the client went away; an Error: the body failed. */
  outcome: 'end' | 'aborted' | Error
  /** The name of the error answered, when one was. */
  errorName?: string | undefined
}

/** Records one finished request: metrics, then one log line. */
export type RequestRecorder = (line: Omit<RequestLogLine, 'aborted' | 'error'>, how: RequestOutcome) => void

/**
 * The one place a finished request is counted and logged, whichever transport answered it (the
 * hono middleware, or a route answering on the socket directly): `strata_http_*` metrics,
 * `strata_errors_total`, and one `request` line at `info`.
 */
export function requestRecorder(options: ObserveRequestsOptions = {}): RequestRecorder {
  const { logger, metrics } = options
  return (line, { outcome, errorName }) => {
    const { method, route, status, bytesIn, bytesOut, ms } = line
    if (errorName !== undefined) metrics?.errors.inc({ name: errorName })
    metrics?.observe({ method, route, status, bytesIn, bytesOut, seconds: ms / 1000 })
    if (outcome instanceof Error) metrics?.errors.inc({ name: errorMetricName(outcome) })
    if (logger === undefined || !logger.isLevelEnabled('info')) return
    const logged: RequestLogLine = {
      ...line,
      path: truncate(line.path, MAX_LOGGED_PATH_LENGTH),
      ms: Math.round(ms),
    }
    if (outcome !== 'end') logged.aborted = true
    const error = errorName ?? (outcome instanceof Error ? errorMetricName(outcome) : undefined)
    if (error !== undefined) logged.error = error
    logger.info(logged, 'request')
  }
}

/** Largest JSON / text answer measured by reading it whole (such answers are built in memory). */
const MAX_IN_MEMORY_BYTES = 1024 * 1024

/** Whether an answer is JSON or text of a known small size, or of no declared size (built in memory). */
function builtInMemory(headers: Headers): boolean {
  const type = headers.get('content-type') ?? ''
  if (!/^(application\/json|text\/)/i.test(type)) return false
  const declared = headers.get('content-length')
  return declared === null || Number(declared) <= MAX_IN_MEMORY_BYTES
}
