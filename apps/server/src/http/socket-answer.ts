/**
 * Public reads answered straight on node:http's response, without the Web `Request`/`Response`
 * bridge: the hot paths (`GET /blob`, `GET /block`). A route decides its answer as plain data (the
 * same function its hono route uses); this module writes it with the socket's backpressure (a
 * one-chunk body in one `end(buffer)`), answers errors from the one status table, counts and logs
 * each request, and cuts the connection when a body fails after its first byte.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestRecorder } from '../observability/request-middleware.js'
import { type ErrorLogger, errorAnswer } from './error-response.js'

/** A read request as a socket route sees it. */
export interface SocketRequest {
  method: 'GET' | 'HEAD'
  /** A request header by lower-case name. */
  header(name: string): string | undefined
  /** Aborted when the client goes away: pass it to every backend read. */
  signal: AbortSignal
}

/** What to answer: status, headers and (GET only) the body, not yet read (or bytes in hand). */
export interface SocketAnswer {
  status: number
  headers: Record<string, string>
  body?: AsyncIterable<Uint8Array> | Uint8Array
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
      const at = (req.url ?? '').split('?', 1)[0] ?? ''
      const line = { method, path: at, route, status, bytesIn: 0, bytesOut, ms: performance.now() - started }
      record(line, { outcome, errorName })
    }
    void (async () => {
      try {
        const answer = await options.answer(match[1] as string, { method, header, signal })
        if (answer.body === undefined) {
          res.writeHead(answer.status, answer.headers)
          res.end()
          return finish(answer.status, 0, 'end')
        }
        if (answer.body instanceof Uint8Array) {
          res.writeHead(answer.status, answer.headers)
          res.end(answer.body)
          return finish(answer.status, answer.body.byteLength, 'end')
        }
        const sent = await send({ ...answer, body: answer.body }, res, signal)
        if (sent.outcome instanceof Error && !signal.aborted) {
          logger?.error({ err: sent.outcome, path: req.url }, 'body failed mid-response')
        }
        finish(answer.status, sent.bytes, signal.aborted ? 'aborted' : sent.outcome)
      } catch (error) {
        const failed = errorAnswer(error, { signal, ...(logger === undefined ? {} : { logger }) })
        if (failed.status === 499 || res.destroyed) return finish(499, 0, 'aborted')
        res.writeHead(failed.status, { ...failed.headers, 'Content-Length': Buffer.byteLength(failed.body) })
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

/**
 * Writes the answer's status, headers and body to `res` with backpressure, and ends it: one
 * `end(chunk)` when the body is one chunk. The status line goes out with the first chunk, so a body
 * that fails before it can still be answered with an error status by the caller (the failure is
 * thrown); a failure after it (or the client going away) closes the body, which releases its
 * backend handle, and closes the connection once what was written is flushed, so the client sees
 * a truncated answer.
 * @throws what the body threw before its first byte was sent.
 */
async function send(
  answer: SocketAnswer & { body: AsyncIterable<Uint8Array> },
  res: ServerResponse,
  signal: AbortSignal,
): Promise<{ bytes: number; outcome: 'end' | Error }> {
  const chunks = answer.body[Symbol.asyncIterator]()
  let bytes = 0
  let current: IteratorResult<Uint8Array>
  let next: IteratorResult<Uint8Array>
  try {
    current = await chunks.next()
    next = current.done ? current : await chunks.next()
  } catch (error) {
    await chunks.return?.()
    throw error
  }
  res.writeHead(answer.status, answer.headers)
  try {
    while (!current.done) {
      bytes += current.value.byteLength
      if (next.done) {
        res.end(current.value)
        return { bytes, outcome: 'end' }
      }
      if (!res.write(current.value)) await drained(res, signal)
      current = next
      next = await chunks.next()
    }
    res.end()
    return { bytes, outcome: 'end' }
  } catch (error) {
    await chunks.return?.()
    // What was written still reaches the client, then the connection closes: a body shorter than
    // its Content-Length, never one passed off as whole (the idle timeout bounds a client that stalls).
    if (res.socket !== null && !signal.aborted) res.socket.destroySoon()
    else res.destroy()
    return { bytes, outcome: error instanceof Error ? error : new Error(String(error)) }
  }
}

/** Resolves once `res` can take more, or rejects when the client goes away. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      res.off('drain', done)
      signal.removeEventListener('abort', gone)
      resolve()
    }
    const gone = () => {
      res.off('drain', done)
      reject(signal.reason)
    }
    if (signal.aborted) return gone()
    res.once('drain', done)
    signal.addEventListener('abort', gone, { once: true })
  })
}
