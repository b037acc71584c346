import type { StrataBlockstore } from '@strata/blockstore'
import { badRequest } from '../../../errors.js'
import { createRoute, createRouter, errorContent, z } from '../../openapi.js'
import { toReadableStream } from '../../protocol/stream.js'
import { CAR_CONTENT_TYPE, RAW_MEDIA_TYPE } from '../../protocol/trustless.js'
import { answerIpfs } from './answer.js'

/** Where a body that fails after its status was sent is reported (a pino logger fits). */
export interface IpfsBodyErrorLogger {
  error(details: object, message: string): void
}

/** Options for {@link ipfsRoutes}. */
export interface IpfsRoutesOptions {
  /** The blocks the gateway serves: a read-only `StrataBlockstore` over the blob store and the CAR store. */
  blocks: StrataBlockstore
  /** Where a CAR stream that fails midway (a block missing or corrupt) is logged. */
  logger?: IpfsBodyErrorLogger
}

const binary = { schema: z.string().openapi({ format: 'binary' }) }

const getIpfs = createRoute({
  method: 'get',
  path: '/ipfs/{cid}',
  summary:
    'Trustless Gateway: a verified block (application/vnd.ipld.raw, ?format=raw) or a CARv1 of its DAG (application/vnd.ipld.car, ?format=car, dag-scope=all|entity|block, order=dfs, dups=n); HEAD answers the same headers',
  request: {
    params: z.object({
      cid: z.string().openapi({ param: { name: 'cid', in: 'path' }, example: 'bafkqaaa' }),
    }),
  },
  responses: {
    200: {
      description: 'The block, or the CAR',
      content: { [RAW_MEDIA_TYPE]: binary, [CAR_CONTENT_TYPE]: binary },
    },
    304: { description: 'If-None-Match matched' },
    400: errorContent(
      'Not a CID, no Accept or format, an unsupported format or CAR parameter, or a content path',
    ),
    404: errorContent('The (root) block is not in this gateway'),
    406: errorContent('Accept names no type served here'),
    412: errorContent('Cache-Control: only-if-cached, and the block is not here'),
  },
})

/** Described for its one answer; mounted as `/ipfs/:cid/:path{.+}` so the path may hold `/`. */
const contentPath = createRoute({
  method: 'get',
  path: '/ipfs/{cid}/{path}',
  summary: 'Content paths are not served: blocks and CARs by CID only (always 400)',
  request: {
    params: z.object({
      cid: z.string().openapi({ param: { name: 'cid', in: 'path' } }),
      path: z.string().openapi({ param: { name: 'path', in: 'path' }, example: 'a/b' }),
    }),
  },
  responses: { 400: errorContent('A content path: ask for /ipfs/{cid}') },
})

/**
 * `GET` and `HEAD /ipfs/{cid}`, public: the Trustless Gateway (see {@link answerIpfs}). Content
 * paths (`/ipfs/{cid}/a/b`) are refused with 400: blocks and CARs are served by CID only.
 * This module imports no write code.
 */
export function ipfsRoutes(options: IpfsRoutesOptions) {
  const { blocks, logger } = options
  const router = createRouter()
  router.openapi(getIpfs, async (c) => {
    const raw = c.req.raw
    const url = new URL(raw.url)
    const answer = await answerIpfs(blocks, {
      method: raw.method === 'HEAD' ? 'HEAD' : 'GET',
      cid: c.req.param('cid'),
      query: (name) => url.searchParams.get(name) ?? undefined,
      search: url.search.slice(1),
      header: (name) => raw.headers.get(name) ?? undefined,
      signal: raw.signal,
    })
    const onError = (error: unknown) =>
      logger?.error({ err: error, path: url.pathname }, 'gateway body failed mid-response')
    const body =
      answer.body === undefined || answer.body instanceof Uint8Array
        ? (answer.body ?? null)
        : toReadableStream(answer.body, onError)
    return new Response(body, { status: answer.status, headers: answer.headers })
  })
  router.openAPIRegistry.registerPath(contentPath)
  router.get('/ipfs/:cid/:path{.+}', () => {
    throw badRequest('content paths are not served here: ask for /ipfs/{cid} (blocks and CARs by CID)')
  })
  return router
}
