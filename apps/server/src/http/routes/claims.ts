import type { Claims } from '@strata/stores/claim'
import { createRoute, createRouter, errorContent, z } from '../openapi.js'
import { notFoundAs, parseCid } from '../protocol/cid.js'
import { CAR_CONTENT_TYPE, carHeaders } from './car-answer.js'

export const CidParam = z.object({
  cid: z.string().openapi({ param: { name: 'cid', in: 'path' }, example: 'bafyreib…' }),
})

const getClaim = createRoute({
  method: 'get',
  path: '/claim/{cid}',
  summary: "A UCAN delegation's CAR archive (Piri's claim store)",
  request: { params: CidParam },
  responses: {
    200: {
      description: 'The archive',
      content: { [CAR_CONTENT_TYPE]: { schema: z.string().openapi({ format: 'binary' }) } },
    },
    400: errorContent('Not a CID'),
    404: errorContent('No such claim'),
  },
})

/** `GET` / `HEAD /claim/:cid`, public: the delegation's CAR archive as stored. */
export function claimRoutes(options: { claims: Claims }) {
  const { claims } = options
  return createRouter().openapi(getClaim, async (c) => {
    const cid = parseCid(c.req.param('cid'))
    const bytes = await notFoundAs(`claim ${cid} not found`, () =>
      claims.getArchive(cid, { signal: c.req.raw.signal }),
    )
    const body = c.req.method === 'HEAD' ? null : new Uint8Array(bytes)
    return new Response(body, { status: 200, headers: carHeaders(bytes.length) })
  })
}
