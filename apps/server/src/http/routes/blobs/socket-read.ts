/**
 * `GET` / `HEAD /blob/:digest` answered straight on node:http's response, without the Web
 * `Request`/`Response` bridge: the hot path of ranged reads. The answer is the same
 * `answerBlobRead` the hono route gives (that route still serves `app.request()` and anything
 * this one declines), written by `socketReads` (`../../socket-answer.ts`): with the socket's
 * backpressure and the server's response budget, a small range in one `end(buffer)`.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BlobStore, MultihashDigest } from '@strata/blobstore'
import type { RequestRecorder } from '../../../observability/request-middleware.js'
import type { ErrorLogger } from '../../error-response.js'
import { PUBLIC_READ_CORS } from '../../protocol/cors.js'
import { etagOf, MAX_DIGEST_TEXT_LENGTH, parseDigest } from '../../protocol/digest.js'
import type { ResponseSends } from '../../protocol/response-sends.js'
import { socketReads } from '../../socket-answer.js'
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
  /** The response budget and the watch on slow readers (one per server); default a budget of its own. */
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
  const { blobs, record, logger, sends } = options
  const answerOptions = options.maxRanges === undefined ? {} : { maxRanges: options.maxRanges }
  const digests = new DigestCache(1024)
  return socketReads({
    path: BLOB_PATH,
    route: BLOB_READ_ROUTE,
    record,
    errorHeaders: PUBLIC_READ_CORS,
    ...(sends === undefined ? {} : { sends }),
    ...(logger === undefined ? {} : { logger }),
    answer: (text, request) => {
      const { digest, etag } = digests.parse(text)
      return answerBlobRead(blobs, digest, request, { ...answerOptions, etag })
    },
  })
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
