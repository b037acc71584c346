/**
 * `GET` / `HEAD /block/:cid` answered straight on node:http's response (the block read hot path):
 * the same `answerBlockRead` the hono route gives, written by `socketReads`.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CarStore, CID } from '@strata/car'
import type { RequestRecorder } from '../../../observability/request-middleware.js'
import type { ErrorLogger } from '../../error-response.js'
import { parseCid } from '../../protocol/cid.js'
import { PUBLIC_READ_CORS } from '../../protocol/cors.js'
import type { ResponseSends } from '../../protocol/response-sends.js'
import { socketReads } from '../../socket-answer.js'
import { answerBlockRead } from './answer.js'

/** The route label of block reads in metrics and the request log. */
export const BLOCK_READ_ROUTE = '/block/:cid'

/** Paths answered here: `/block/<multibase characters>`, any query (ignored, as by the route). */
const BLOCK_PATH = /^\/block\/([0-9A-Za-z_-]{1,1024})(?:\?.*)?$/

/** Parsed CIDs kept, by path text (oldest dropped first). */
const CID_CACHE_SIZE = 16_384

/** Options for {@link blockSocketReads}. */
export interface BlockSocketReadsOptions {
  cars: CarStore
  /** Counts and logs each request answered here. */
  record: RequestRecorder
  /** Where server-side failures are logged. */
  logger?: ErrorLogger
  /** The response budget and the watch on slow readers (one per server); default a budget of its own. */
  sends?: ResponseSends
}

/**
 * A node:http request handler for block reads: answers `GET`/`HEAD /block/<cid>` and returns true,
 * or returns false for any other request (it then goes to the hono app).
 */
export function blockSocketReads(
  options: BlockSocketReadsOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { cars, record, logger, sends } = options
  // the CIDs of the most recently read paths, parsed once (multibase decoding shows on the
  // per-request path); as many as the LevelDB index keeps lookups of
  const cids = new Map<string, CID>()
  const parse = (text: string): CID => {
    const found = cids.get(text)
    if (found !== undefined) return found
    const cid = parseCid(text) // throws 400 for a bad one, which is never kept
    if (cids.size >= CID_CACHE_SIZE) cids.delete(cids.keys().next().value as string)
    cids.set(text, cid)
    return cid
  }
  return socketReads({
    path: BLOCK_PATH,
    route: BLOCK_READ_ROUTE,
    record,
    errorHeaders: PUBLIC_READ_CORS,
    ...(sends === undefined ? {} : { sends }),
    ...(logger === undefined ? {} : { logger }),
    answer: (text, request) => answerBlockRead(cars, parse(text), request),
  })
}
