import type { CarStore } from '@strata/car'
import { createRoute, createRouter, errorContent, z } from '../../openapi.js'
import { parseCid } from '../../protocol/cid.js'
import { answerBlockRead, BLOCK_CONTENT_TYPE } from './answer.js'

/** Options for {@link blockReadRoutes}. */
export interface BlockReadRoutesOptions {
  cars: CarStore
}

const CidParam = z.object({
  cid: z.string().openapi({ param: { name: 'cid', in: 'path' }, example: 'bafyreib…' }),
})

const getBlock = createRoute({
  method: 'get',
  path: '/block/{cid}',
  summary: 'A block of an imported CAR, verified against its CID; HEAD answers the same headers',
  request: { params: CidParam },
  responses: {
    200: {
      description: 'The block',
      content: { [BLOCK_CONTENT_TYPE]: { schema: z.string().openapi({ format: 'binary' }) } },
    },
    304: { description: 'If-None-Match matched' },
    400: errorContent('Not a CID'),
    404: errorContent('No stored CAR holds the block (BlockNotFoundError, naming the CID)'),
  },
})

/**
 * `GET` and `HEAD /block/:cid`, public (hono dispatches HEAD to the GET route). See
 * {@link answerBlockRead}. This module imports no write code.
 */
export function blockReadRoutes(options: BlockReadRoutesOptions) {
  const { cars } = options
  return createRouter().openapi(getBlock, async (c) => {
    const cid = parseCid(c.req.param('cid'))
    const raw = c.req.raw
    const answer = await answerBlockRead(cars, cid, {
      method: raw.method === 'HEAD' ? 'HEAD' : 'GET',
      header: (name) => raw.headers.get(name) ?? undefined,
      signal: raw.signal,
    })
    const body = answer.body === undefined ? null : answer.body
    return new Response(body, { status: answer.status, headers: answer.headers })
  })
}
