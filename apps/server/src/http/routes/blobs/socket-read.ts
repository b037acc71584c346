/**
 * `GET` / `HEAD /blob/:digest` answered straight on node:http's response, without the Web
 * `Request`/`Response` bridge: the hot path of ranged reads. The answer is the same
 * `answerBlobRead` the hono route gives (that route still serves `app.request()` and anything
 * this one declines); the body is written with the socket's backpressure, and a small range goes
 * out in one `end(buffer)`.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BlobStore, MultihashDigest } from '@strata/blobstore'
import type { RequestRecorder } from '../../../observability/request-middleware.js'
import { type ErrorLogger, errorAnswer } from '../../error-response.js'
import { PUBLIC_READ_CORS } from '../../protocol/cors.js'
import { etagOf, MAX_DIGEST_TEXT_LENGTH, parseDigest } from '../../protocol/digest.js'
import { type AnswerOptions, answerBlobRead, type BlobAnswer } from './answer.js'

/** The route label of blob reads in metrics and the request log. */
export const BLOB_READ_ROUTE = '/blob/:digest'

/** Paths this module answers: `/blob/<multibase characters>`, any query (it is ignored, as by the route). */
const BLOB_PATH = new RegExp(`^/blob/([0-9A-Za-z+=_-]{1,${MAX_DIGEST_TEXT_LENGTH}})(?:\\?.*)?$`)

/** Options for {@link blobSocketReads}. */
export interface BlobSocketReadsOptions extends AnswerOptions {
  blobs: BlobStore
  /** Counts and logs each request answered here. */
  record: RequestRecorder
  /** Where server-side failures (5xx, a body failing midway) are logged. */
  logger?: ErrorLogger
}

/**
 * A node:http request handler for blob reads: answers `GET`/`HEAD /blob/<digest>` and returns
 * true, or returns false (without touching the response) for any other request, which then goes
 * to the hono app. Paths with percent-escapes or other characters are declined too, so the router
 * answers them exactly as before.
 */
export function blobSocketReads(
  options: BlobSocketReadsOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { blobs, record, logger } = options
  const answerOptions = options.maxRanges === undefined ? {} : { maxRanges: options.maxRanges }
  const digests = new DigestCache(1024)
  return (req, res) => {
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') return false
    const match = BLOB_PATH.exec(req.url ?? '')
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
      const path = (req.url ?? '').split('?', 1)[0] ?? ''
      const line = {
        method,
        path,
        route: BLOB_READ_ROUTE,
        status,
        bytesIn: 0,
        bytesOut,
        ms: performance.now() - started,
      }
      record(line, { outcome, errorName })
    }
    void (async () => {
      try {
        const { digest, etag } = digests.parse(match[1] as string)
        const answer = await answerBlobRead(
          blobs,
          digest,
          { method, header, signal },
          { ...answerOptions, etag },
        )
        if (answer.body === undefined) {
          res.writeHead(answer.status, answer.headers)
          res.end()
          return finish(answer.status, 0, 'end')
        }
        const sent = await send({ ...answer, body: answer.body }, res, signal)
        if (sent.outcome instanceof Error && !signal.aborted) {
          logger?.error({ err: sent.outcome, path: req.url }, 'blob body failed mid-response')
        }
        finish(answer.status, sent.bytes, signal.aborted ? 'aborted' : sent.outcome)
      } catch (error) {
        const failed = errorAnswer(error, { signal, ...(logger === undefined ? {} : { logger }) })
        if (failed.status === 499 || res.destroyed) return finish(499, 0, 'aborted')
        res.writeHead(failed.status, {
          ...failed.headers,
          ...PUBLIC_READ_CORS,
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

/**
 * Writes the answer's status, headers and body to `res` with backpressure, and ends it: one
 * `end(chunk)` when the body is one chunk. The status line goes out with the first chunk, so a body
 * that fails before it can still be answered with an error status by the caller (the failure is
 * thrown); a failure after it (or the client going away) closes the body, which releases its
 * backend handle, and closes the connection once what was written is flushed, so the client sees
 * a truncated answer.
 * @throws what the body threw before its first byte was sent.
 */
export async function send(
  answer: Required<BlobAnswer>,
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

/**
 * The digests of the most recently read paths, decoded once (multibase decoding and the base58
 * ETag show on the per-request path). Only valid digests are kept; a bad one throws each time.
 */
class DigestCache {
  readonly #capacity: number
  readonly #entries = new Map<string, { digest: MultihashDigest; etag: string }>()

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  /** @throws what `parseDigest` throws. */
  parse(text: string): { digest: MultihashDigest; etag: string } {
    const found = this.#entries.get(text)
    if (found !== undefined) return found
    const digest = parseDigest(text)
    const entry = { digest, etag: etagOf(digest) }
    if (this.#entries.size >= this.#capacity)
      this.#entries.delete(this.#entries.keys().next().value as string)
    this.#entries.set(text, entry)
    return entry
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
