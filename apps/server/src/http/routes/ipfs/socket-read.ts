/**
 * `GET` / `HEAD /ipfs/{cid}` answered straight on node:http's response (as blob reads are, see
 * `blobs/socket-read.ts`): the same `answerIpfs` the hono route gives, without the Web
 * `Request`/`Response` bridge, which costs more than the block read itself for small blocks.
 * Paths it does not take (escapes, a content path, other characters) go to the hono app, which
 * answers them as before.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { StrataBlockstore } from '@strata/blockstore'
import type { RequestRecorder } from '../../../observability/request-middleware.js'
import type { ErrorLogger } from '../../error-response.js'
import { PUBLIC_READ_CORS } from '../../protocol/cors.js'
import type { ResponseSends } from '../../protocol/response-sends.js'
import { socketReads } from '../../socket-answer.js'
import { answerIpfs } from './answer.js'

/** The route label of gateway reads in metrics and the request log. */
export const IPFS_READ_ROUTE = '/ipfs/:cid'

/** `/ipfs/<multibase characters>` and any query (a CID is at most a few hundred characters). */
const IPFS_PATH = /^\/ipfs\/([0-9A-Za-z]{1,512})(?:\?.*)?$/

/** Options for {@link ipfsSocketReads}. */
export interface IpfsSocketReadsOptions {
  blocks: StrataBlockstore
  /** Counts and logs each request answered here. */
  record: RequestRecorder
  /** Where server-side failures (5xx, a body failing midway) are logged. */
  logger?: ErrorLogger
  /** The response budget and the watch on slow readers (one per server); default a budget of its own. */
  sends?: ResponseSends
}

/**
 * A node:http request handler for gateway reads: answers `GET`/`HEAD /ipfs/<cid>[?query]` and
 * returns true, or returns false (without touching the response) for any other request.
 */
export function ipfsSocketReads(
  options: IpfsSocketReadsOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { blocks, record, logger, sends } = options
  return socketReads({
    path: IPFS_PATH,
    route: IPFS_READ_ROUTE,
    record,
    errorHeaders: PUBLIC_READ_CORS,
    ...(sends === undefined ? {} : { sends }),
    ...(logger === undefined ? {} : { logger }),
    answer: (cid, { method, header, signal, search }) => {
      const params = search === '' ? undefined : new URLSearchParams(search)
      const query = (name: string) => params?.get(name) ?? undefined
      return answerIpfs(blocks, { method, cid, query, search, header, signal })
    },
  })
}
