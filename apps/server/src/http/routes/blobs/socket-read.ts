/**
 * `GET` / `HEAD /blob/:digest` answered straight on node:http's response, without the Web
 * `Request`/`Response` bridge: the hot path of ranged reads. The answer is the same
 * `answerBlobRead` the hono route gives (that route still serves `app.request()` and anything
 * this one declines); the body is written by `sendAnswer` (backpressure, a budget shared by all
 * responses for the chunks slow readers hold, a watch that cuts readers that take nothing), a
 * small range in one `end(buffer)`.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BlobStore, MultihashDigest } from '@strata/blobstore'
import type { RequestRecorder } from '../../../observability/request-middleware.js'
import { type ErrorLogger, errorAnswer } from '../../error-response.js'
import { etagOf, MAX_DIGEST_TEXT_LENGTH, parseDigest } from '../../protocol/digest.js'
import { defaultSends, type ResponseSends } from '../../protocol/response-sends.js'
import { sendAnswer } from '../../protocol/socket-writer.js'
import { type AnswerOptions, answerBlobRead } from './answer.js'

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
  /**
   * What bodies are written with: the budget of the chunks slow readers hold, the watch that cuts
   * readers that take nothing. Default {@link defaultSends}.
   */
  sends?: ResponseSends
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
  const sends = options.sends ?? defaultSends()
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
        const sent = await sendAnswer(res, { ...answer, body: answer.body }, sends, signal)
        if (sent.outcome instanceof Error && !signal.aborted) {
          logger?.error({ err: sent.outcome, path: req.url }, 'blob body failed mid-response')
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
