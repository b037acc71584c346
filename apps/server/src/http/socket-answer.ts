/**
 * Public reads answered straight on node:http's response, without the Web `Request`/`Response`
 * bridge: the hot paths (`GET /blob`, `GET /block`). A route decides its answer as plain data (the
 * same function its hono route uses); this module writes it with `sendAnswer` (the socket's
 * backpressure, one budget for the chunks slow readers hold, a watch that cuts readers that take
 * nothing, a body in hand in one `end(buffer)`), answers errors from the one status table, counts
 * and logs each request, and cuts the connection when a body fails after its first byte.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestRecorder } from '../observability/request-middleware.js'
import { type ErrorLogger, errorAnswer } from './error-response.js'
import { defaultSends, type ResponseSends } from './protocol/response-sends.js'
import { sendAnswer } from './protocol/socket-writer.js'

/** A read request as a socket route sees it. */
export interface SocketRequest {
  method: 'GET' | 'HEAD'
  /** A request header by lower-case name. */
  header(name: string): string | undefined
  /** Aborted when the client goes away: pass it to every backend read. */
  signal: AbortSignal
  /** The query string, without its `?` (empty when there is none). */
  search: string
}

/** What to answer: status, headers and (GET only) the body, not yet read (or bytes in hand). */
export interface SocketAnswer {
  status: number
  headers: Record<string, string>
  body?: AsyncIterable<Uint8Array> | Uint8Array
  /** Gives each chunk of `body` back to the backend once the socket has taken it. */
  recycle?: (chunk: Uint8Array) => void
}

/** Options for {@link socketReads}. */
export interface SocketReadsOptions {
  /** The paths answered: the first capture group is handed to `answer`; any query is allowed. */
  path: RegExp
  /** The route label in metrics and the request log, e.g. `/block/:cid`. */
  route: string
  /** Decides the answer; what it throws is answered from the status table. */
  answer(captured: string, request: SocketRequest): Promise<SocketAnswer>
  /** Counts and logs each request answered here. */
  record: RequestRecorder
  /** Where server-side failures (5xx, a body failing midway) are logged. */
  logger?: ErrorLogger
  /** Headers of every error answered here (the answers carry their own), e.g. the public reads' CORS. */
  errorHeaders?: Readonly<Record<string, string>>
  /**
   * What bodies are written with: the response budget and the watch on slow readers, one per
   * server. Default: {@link defaultSends}, a budget of this handler's own.
   */
  sends?: ResponseSends
}

/**
 * A node:http request handler: answers `GET`/`HEAD` of the paths `options.path` matches and
 * returns true, or returns false (without touching the response) for any other request, which
 * then goes to the hono app.
 */
export function socketReads(
  options: SocketReadsOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { path, route, record, logger } = options
  const sends = options.sends ?? defaultSends()
  return (req, res) => {
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') return false
    const match = path.exec(req.url ?? '')
    if (match === null) return false
    const started = performance.now()
    const controller = new AbortController()
    res.once('close', () => {
      if (!res.writableFinished) controller.abort()
    })
    const signal = controller.signal
    const url = req.url ?? ''
    const query = url.indexOf('?')
    const search = query < 0 ? '' : url.slice(query + 1)
    const header = (name: string) => {
      const value = req.headers[name]
      return Array.isArray(value) ? value.join(', ') : value
    }
    const finish = (
      status: number,
      bytesOut: number,
      outcome: 'end' | 'aborted' | Error,
      errorName?: string,
    ) => {
      const at = query < 0 ? url : url.slice(0, query)
      const line = { method, path: at, route, status, bytesIn: 0, bytesOut, ms: performance.now() - started }
      record(line, { outcome, errorName })
    }
    void (async () => {
      try {
        const answer = await options.answer(match[1] as string, { method, header, signal, search })
        if (answer.body === undefined) {
          res.writeHead(answer.status, answer.headers)
          res.end()
          return finish(answer.status, 0, 'end')
        }
        const { status, headers, body, recycle } = answer
        const sent = await sendAnswer(res, { status, headers, body, recycle }, sends, signal)
        if (sent.outcome instanceof Error && !signal.aborted) {
          logger?.error({ err: sent.outcome, path: req.url }, 'body failed mid-response')
        }
        finish(answer.status, sent.bytes, signal.aborted ? 'aborted' : sent.outcome)
      } catch (error) {
        const failed = errorAnswer(error, { signal, ...(logger === undefined ? {} : { logger }) })
        if (failed.status === 499 || res.destroyed) return finish(499, 0, 'aborted')
        res.writeHead(failed.status, {
          ...failed.headers,
          ...options.errorHeaders,
          'Content-Length': Buffer.byteLength(failed.body),
        })
        res.end(method === 'HEAD' ? undefined : failed.body)
        const name = (error as { name?: unknown }).name
        finish(failed.status, 0, 'end', typeof name === 'string' ? name : 'InternalError')
      }
    })()
    return true
  }
}

/** The first of `handlers` that takes the request (each answers true), else false. */
export function firstOf(
  ...handlers: Array<(req: IncomingMessage, res: ServerResponse) => boolean>
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => handlers.some((handle) => handle(req, res))
}
