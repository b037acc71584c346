import { bearerAuth } from '../middleware/bearer.js'
import { createRoute, createRouter, errorContent, z } from '../openapi.js'
import type { RouteContext } from './context.js'

const GcResultSchema = z
  .object({
    scanned: z.number().openapi({ description: 'Blobs listed' }),
    live: z.number().openapi({ description: 'Referenced blobs' }),
    young: z.number().openapi({ description: 'Unreferenced, younger than gc.graceMs: kept' }),
    deleted: z.number().openapi({ description: 'Deleted (dry run: would be)' }),
    bytesFreed: z.number(),
    kept: z.number().openapi({ description: 'Condemned, then found referenced by the second mark' }),
    repaired: z.number().openapi({ description: 'CAR records whose CAR was gone, removed' }),
    storedBytes: z
      .number()
      .optional()
      .openapi({ description: 'Size-target mode: bytes stored at the start' }),
    skipped: z.literal('below-target').optional(),
    dryRun: z.boolean(),
    durationMs: z.number(),
  })
  .openapi('GcResult')

const run = createRoute({
  method: 'post',
  path: '/gc',
  summary: 'Run a garbage collection now and answer what it did (?dryRun=1: delete nothing)',
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      dryRun: z
        .enum(['1', '0', 'true', 'false'], { error: 'expected 1, 0, true or false' })
        .optional()
        .openapi({ description: '1 or true: report what would be deleted, delete nothing' }),
    }),
  },
  responses: {
    200: { description: 'What the run did', content: { 'application/json': { schema: GcResultSchema } } },
    400: errorContent('Bad dryRun'),
    401: errorContent('Missing or wrong bearer token'),
    409: errorContent('Another collector holds the lease (s3 mode: another instance); retry later'),
  },
})

/**
 * `POST /gc` (bearer): one collection, answered when it ends. The request's connection is the run's
 * lifetime: a client that goes away aborts it (as does a run outlasting `server.idleTimeoutMs`:
 * big stores collect with `gc.intervalMs`).
 */
export function gcRoutes(context: RouteContext) {
  const { cradle } = context
  const auth = bearerAuth(() => cradle.authToken)
  return createRouter().openapi({ ...run, middleware: [auth] as const }, async (c) => {
    const { dryRun } = c.req.valid('query')
    const result = await cradle.gc.gc({
      signal: c.req.raw.signal,
      dryRun: dryRun === '1' || dryRun === 'true',
    })
    return c.json(result, 200)
  })
}
