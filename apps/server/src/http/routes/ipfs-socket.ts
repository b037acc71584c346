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
import type { RequestRecorder } from '../../observability/request-middleware.js'
import { type ErrorLogger, errorAnswer } from '../error-response.js'
import { PUBLIC_READ_CORS } from '../protocol/cors.js'
import { send } from './blobs/socket-read.js'
import { answerIpfs } from './ipfs-answer.js'

/** The route label of gateway reads in metrics and the request log. */
export const IPFS_READ_ROUTE = '/ipfs/:cid'

/** `/ipfs/<multibase characters>` and any query (a CID is at most a few hundred characters). */
const IPFS_PATH = /^\/ipfs\/([0-9A-Za-z]{1,512})(?:\?(.*))?$/

/** Options for {@link ipfsSocketReads}. */
export interface IpfsSocketReadsOptions {
  blocks: StrataBlockstore
  /** Counts and logs each request answered here. */
  record: RequestRecorder
  /** Where server-side failures (5xx, a body failing midway) are logged. */
  logger?: ErrorLogger
}

/**
 * A node:http request handler for gateway reads: answers `GET`/`HEAD /ipfs/<cid>[?query]` and
 * returns true, or returns false (without touching the response) for any other request.
 */
export function ipfsSocketReads(
  options: IpfsSocketReadsOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { blocks, record, logger } = options
  return (req, res) => {
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') return false
    const match = IPFS_PATH.exec(req.url ?? '')
    if (match === null) return false
    const started = performance.now()
    const controller = new AbortController()
    res.once('close', () => {
      if (!res.writableFinished) controller.abort()
    })
    const signal = controller.signal
    const search = match[2] ?? ''
    const params = search === '' ? undefined : new URLSearchParams(search)
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
        route: IPFS_READ_ROUTE,
        status,
        bytesIn: 0,
        bytesOut,
        ms: performance.now() - started,
      }
      record(line, { outcome, errorName })
    }
    void (async () => {
      try {
        const answer = await answerIpfs(blocks, {
          method,
          cid: match[1] as string,
          query: (name) => params?.get(name) ?? undefined,
          search,
          header,
          signal,
        })
        if (answer.body === undefined) {
          res.writeHead(answer.status, answer.headers)
          res.end()
          return finish(answer.status, 0, 'end')
        }
        const sent = await send({ status: 200, headers: answer.headers, body: answer.body }, res, signal)
        if (sent.outcome instanceof Error && !signal.aborted) {
          logger?.error({ err: sent.outcome, path: req.url }, 'gateway body failed mid-response')
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
