import { base58btc } from 'multiformats/bases/base58'
import { bearerAuth } from '../middleware/bearer.js'
import { createRoute, createRouter, errorContent, z } from '../openapi.js'
import type { RouteContext } from './context.js'
import { pageLimit } from './page-query.js'

const DidParam = z.object({
  did: z
    .string()
    .openapi({ param: { name: 'did', in: 'path' }, example: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz' }),
})

const PageQuery = z.object({
  cursor: z.string().optional().openapi({ description: 'The last digest of the previous page' }),
  limit: pageLimit,
})

const StatSchema = z
  .object({ did: z.string(), blobs: z.number(), bytes: z.number(), labels: z.number() })
  .openapi('OwnerStat')

const WipeSchema = z
  .object({
    did: z.string(),
    blobs: z.number(),
    labels: z.number(),
    acceptances: z.number(),
    allocations: z.number(),
  })
  .openapi('OwnerWipe')

const badDid = errorContent('Not a DID')

const routes = {
  stat: createRoute({
    method: 'get',
    path: '/owners/{did}',
    summary: "An owner's blob count, bytes and label count (all 0 for an unknown or wiped owner)",
    request: { params: DidParam },
    responses: {
      200: { description: 'The counts', content: { 'application/json': { schema: StatSchema } } },
      400: badDid,
    },
  }),
  blobs: createRoute({
    method: 'get',
    path: '/owners/{did}/blobs',
    summary: "An owner's blobs, a page at a time",
    request: { params: DidParam, query: PageQuery },
    responses: {
      200: {
        description: 'A page; `cursor` when more follow',
        content: {
          'application/json': {
            schema: z.object({
              blobs: z.array(z.object({ digest: z.string(), size: z.number() })),
              cursor: z.string().optional(),
            }),
          },
        },
      },
      400: errorContent('Not a DID, or a bad cursor or limit'),
    },
  }),
  wipe: createRoute({
    method: 'delete',
    path: '/owners/{did}',
    summary:
      'Wipe an owner: its labels, acceptances, allocations and memberships (its content becomes garbage unless held elsewhere)',
    security: [{ bearer: [] }],
    request: { params: DidParam },
    responses: {
      200: { description: 'What was removed', content: { 'application/json': { schema: WipeSchema } } },
      400: badDid,
      401: errorContent('Missing or wrong bearer token'),
    },
  }),
}

/**
 * The owners resource: `GET /owners/:did` (stat), `GET /owners/:did/blobs` (public reads) and
 * `DELETE /owners/:did` (bearer: the wipe, all-or-nothing from the outside, rolled forward).
 */
export function ownerRoutes(context: RouteContext) {
  const { cradle } = context
  const auth = bearerAuth(() => cradle.authToken)
  return createRouter()
    .openapi(routes.stat, async (c) => {
      const stat = await cradle.owners.stat(c.req.valid('param').did, { signal: c.req.raw.signal })
      return c.json(stat, 200, { 'Cache-Control': 'no-store' })
    })
    .openapi(routes.blobs, async (c) => {
      const { cursor, limit } = c.req.valid('query')
      const page = await cradle.owners.list(c.req.valid('param').did, {
        signal: c.req.raw.signal,
        ...(cursor === undefined ? {} : { cursor }),
        ...(limit === undefined ? {} : { limit }),
      })
      const blobs = page.blobs.map((blob) => ({
        digest: base58btc.encode(blob.digest.bytes),
        size: blob.size,
      }))
      return c.json({ blobs, ...(page.cursor ? { cursor: page.cursor } : {}) }, 200, {
        'Cache-Control': 'no-store',
      })
    })
    .openapi({ ...routes.wipe, middleware: [auth] as const }, async (c) => {
      const result = await cradle.owners.wipe(c.req.valid('param').did, { signal: c.req.raw.signal })
      return c.json(result, 200)
    })
}
