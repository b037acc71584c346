import { formatRef, type Label, LabelConflictError, parseRef } from '@strata/stores/label'
import { badRequest, HttpError } from '../../errors.js'
import { bearerAuth } from '../middleware/bearer.js'
import { jsonBody } from '../middleware/json-body.js'
import { createRoute, createRouter, errorContent, z } from '../openapi.js'
import type { RouteContext } from './context.js'
import { pageLimit } from './page-query.js'

const LabelSchema = z
  .object({
    name: z.string().openapi({ example: 'actor/123/head' }),
    ref: z.string().openapi({ description: 'A CID (`bafy…`) or a base58btc multihash (`zQm…`)' }),
    version: z.string().openapi({ description: 'Opaque; changes on every write (the ETag)' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
    owner: z.string().optional().openapi({ example: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz' }),
  })
  .openapi('Label')

const LabelWriteSchema = z
  .object({
    ref: z.string({ error: 'expected a CID or a multibase multihash' }),
    owner: z.string({ error: 'expected a DID' }).optional(),
  })
  .openapi('LabelWrite')

/** A label name in the path: percent-encoded, and may hold `/` as is (`/labels/actor/123/head`). */
const NameParam = z.object({
  name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'actor/123/head' }),
})

const ListQuery = z.object({
  prefix: z.string().optional().openapi({ description: 'Names starting with this (UTF-8); default all' }),
  cursor: z.string().optional().openapi({ description: 'The last name of the previous page' }),
  limit: pageLimit,
})

/** Where the one-label routes are mounted: the name is the rest of the path, `/` included. */
const WIDE_PATH = '/labels/{name{.+}}'

const conflict = errorContent(
  'The label is not at the If-Match version (or exists, with If-None-Match: *); ETag: its version',
)

const routes = {
  list: createRoute({
    method: 'get',
    path: '/labels',
    summary: 'Labels by name prefix, in name order, a page at a time',
    request: { query: ListQuery },
    responses: {
      200: {
        description: 'A page; `cursor` when more follow',
        content: {
          'application/json': {
            schema: z.object({ labels: z.array(LabelSchema), cursor: z.string().optional() }),
          },
        },
      },
      400: errorContent('Bad prefix, cursor or limit'),
    },
  }),
  get: createRoute({
    method: 'get',
    path: '/labels/{name}',
    summary: 'A label; ETag: its version',
    request: { params: NameParam },
    responses: {
      200: { description: 'The label', content: { 'application/json': { schema: LabelSchema } } },
      400: errorContent('Not a label name (1–512 bytes of UTF-8, no control characters)'),
      404: errorContent('No such label'),
    },
  }),
  put: createRoute({
    method: 'put',
    path: '/labels/{name}',
    summary:
      'Point a label at stored content; If-Match: "<version>" or If-None-Match: * for compare-and-swap',
    security: [{ bearer: [] }],
    request: {
      params: NameParam,
      body: { required: true, content: { 'application/json': { schema: LabelWriteSchema } } },
    },
    responses: {
      200: {
        description: 'Moved; ETag: the new version',
        content: { 'application/json': { schema: LabelSchema } },
      },
      201: {
        description: 'Created; ETag: its version',
        content: { 'application/json': { schema: LabelSchema } },
      },
      400: errorContent('Bad name, ref, owner or precondition header'),
      401: errorContent('Missing or wrong bearer token'),
      409: errorContent('The content is being garbage-collected: store it again and retry'),
      412: conflict,
      422: errorContent('The content is not stored'),
    },
  }),
  delete: createRoute({
    method: 'delete',
    path: '/labels/{name}',
    summary: 'Delete a label (If-Match: "<version>": only at that version)',
    security: [{ bearer: [] }],
    request: { params: NameParam },
    responses: {
      204: { description: 'Deleted, or there was none (without If-Match)' },
      400: errorContent('Bad name or precondition header'),
      401: errorContent('Missing or wrong bearer token'),
      412: conflict,
    },
  }),
}

/** A label as JSON. */
export function labelJson(label: Label) {
  return {
    name: label.name,
    ref: formatRef(label.ref),
    version: label.version,
    updatedAt: label.updatedAt.toISOString(),
    ...(label.owner === undefined ? {} : { owner: label.owner }),
  }
}

/**
 * The compare-and-swap a request asks for: `If-Match: "<version>"` (quotes optional; one value),
 * `If-None-Match: *` (must not exist), neither (no condition).
 * @throws {HttpError} 400 for both at once, a list or a weak tag, `If-None-Match` other than `*`.
 */
export function versionCondition(headers: {
  ifMatch?: string | undefined
  ifNoneMatch?: string | undefined
}) {
  const ifMatch = headers.ifMatch?.trim()
  const ifNoneMatch = headers.ifNoneMatch?.trim()
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw badRequest('if-match and if-none-match: give one, not both')
  }
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch !== '*') throw badRequest('if-none-match: only * is supported')
    return { ifVersion: null }
  }
  if (ifMatch === undefined) return {}
  const match = /^"([^",]+)"$|^([^",\s*]+)$/.exec(ifMatch)
  const version = match?.[1] ?? match?.[2]
  if (version === undefined) throw badRequest('if-match: expected one strong tag, "<version>"')
  return { ifVersion: version }
}

/** A lost compare-and-swap as 412, with the current version (if any) as `ETag`. */
function conflictAnswer(error: unknown): never {
  if (error instanceof LabelConflictError) {
    const headers: Record<string, string> = error.current === null ? {} : { ETag: `"${error.current}"` }
    throw new HttpError(412, error.name, error.message, { headers, cause: error })
  }
  throw error
}

/**
 * The labels resource: `GET /labels?prefix=&cursor=&limit=`, `GET /labels/:name` (public),
 * `PUT` and `DELETE /labels/:name` (bearer), with `If-Match` / `If-None-Match` compare-and-swap.
 * Writes go through the content store: the content must be stored and not being collected.
 */
export function labelRoutes(context: RouteContext) {
  const { cradle } = context
  const auth = bearerAuth(() => cradle.authToken)
  const io = (signal: AbortSignal) => ({ signal })
  const router = createRouter()
  // Described as /labels/{name}; mounted as /labels/:name{.+}, so a name may hold `/` as is.
  for (const route of [routes.get, routes.put, routes.delete]) router.openAPIRegistry.registerPath(route)
  const wide = <R extends { path: string }>(route: R) => ({ ...route, path: WIDE_PATH, hide: true })
  return router
    .openapi(routes.list, async (c) => {
      const { prefix = '', cursor, limit } = c.req.valid('query')
      const page = await cradle.labels.list(prefix, {
        ...io(c.req.raw.signal),
        ...(cursor === undefined ? {} : { cursor }),
        ...(limit === undefined ? {} : { limit }),
      })
      return c.json(
        { labels: page.labels.map(labelJson), ...(page.cursor ? { cursor: page.cursor } : {}) },
        200,
        {
          'Cache-Control': 'no-store',
        },
      )
    })
    .openapi(wide(routes.get), async (c) => {
      const label = await cradle.labels.get(c.req.valid('param').name, io(c.req.raw.signal))
      return c.json(labelJson(label), 200, { ETag: `"${label.version}"`, 'Cache-Control': 'no-cache' })
    })
    .openapi({ ...wide(routes.put), middleware: [auth, jsonBody] as const }, async (c) => {
      const { name } = c.req.valid('param')
      const body = c.req.valid('json')
      const condition = versionCondition({
        ifMatch: c.req.header('if-match'),
        ifNoneMatch: c.req.header('if-none-match'),
      })
      const written = await cradle.content
        .writeLabel(name, parseRef(body.ref), {
          ...io(c.req.raw.signal),
          ...condition,
          ...(body.owner === undefined ? {} : { owner: body.owner }),
        })
        .catch(conflictAnswer)
      return c.json(labelJson(written.label), written.created ? 201 : 200, {
        ETag: `"${written.label.version}"`,
      })
    })
    .openapi({ ...wide(routes.delete), middleware: [auth] as const }, async (c) => {
      const { name } = c.req.valid('param')
      const condition = versionCondition({ ifMatch: c.req.header('if-match') })
      const ifVersion = 'ifVersion' in condition ? { ifVersion: condition.ifVersion as string } : {}
      await cradle.content.deleteLabel(name, { ...io(c.req.raw.signal), ...ifVersion }).catch(conflictAnswer)
      return c.body(null, 204)
    })
}
