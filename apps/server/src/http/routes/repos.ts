import { RepoBaseMismatchError } from '@strata/stores/repo'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { badRequest, HttpError } from '../../errors.js'
import { bearerAuth } from '../middleware/bearer.js'
import { limitBody } from '../middleware/body-limit.js'
import { createRoute, createRouter, errorContent, z } from '../openapi.js'
import { toReadableStream } from '../protocol/stream.js'
import { CAR_CONTENT_TYPE } from './car-answer.js'
import type { RouteContext } from './context.js'

const DidParam = z.object({
  did: z
    .string()
    .openapi({ param: { name: 'did', in: 'path' }, example: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz' }),
})

const HeadSchema = z
  .object({
    did: z.string(),
    head: z.string().openapi({ description: 'The root CID of the latest commit (the ETag)' }),
    version: z.string(),
    updatedAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('RepoHead')

const ImportedSchema = HeadSchema.extend({
  car: z.string().openapi({ description: 'The imported CAR, base58btc multihash' }),
  size: z.number(),
  blocks: z.number(),
}).openapi('RepoImport')

const binary = { [CAR_CONTENT_TYPE]: { schema: z.string().openapi({ format: 'binary' }) } }

const routes = {
  put: createRoute({
    method: 'put',
    path: '/repos/{did}',
    summary:
      'Import a commit CAR and move the head to its root; If-Match: "<head cid>" (or If-None-Match: *)',
    security: [{ bearer: [] }],
    request: { params: DidParam, body: { required: true, content: binary } },
    responses: {
      200: {
        description: 'Head moved; ETag: the new head',
        content: { 'application/json': { schema: ImportedSchema } },
      },
      201: { description: 'Repo created', content: { 'application/json': { schema: ImportedSchema } } },
      400: errorContent('Not a DID, a CAR, a commit CAR (one root, stored), or a bad If-Match'),
      401: errorContent('Missing or wrong bearer token'),
      409: errorContent('A block does not hash to its CID, or the CAR is being garbage-collected'),
      412: errorContent('The repo is not at the If-Match head (ETag: the current head); nothing moved'),
      413: errorContent('The CAR is over server.maxBlobSize, or a block or header over the limits'),
      415: errorContent('Content-Type is not application/vnd.ipld.car'),
    },
  }),
  get: createRoute({
    method: 'get',
    path: '/repos/{did}',
    summary: "A CAR of the repo at its head (the head's DAG)",
    request: { params: DidParam },
    responses: {
      200: { description: 'The CAR; ETag: the head', content: binary },
      400: errorContent('Not a DID'),
      404: errorContent('No such repo'),
    },
  }),
  head: createRoute({
    method: 'get',
    path: '/repos/{did}/head',
    summary: "The repo's head",
    request: { params: DidParam },
    responses: {
      200: { description: 'The head', content: { 'application/json': { schema: HeadSchema } } },
      400: errorContent('Not a DID'),
      404: errorContent('No such repo'),
    },
  }),
  delete: createRoute({
    method: 'delete',
    path: '/repos/{did}',
    summary: "Delete a repo: the DID's wipe (its CARs become garbage unless held elsewhere)",
    security: [{ bearer: [] }],
    request: { params: DidParam },
    responses: {
      200: {
        description: 'What was removed',
        content: {
          'application/json': {
            schema: z.object({
              did: z.string(),
              blobs: z.number(),
              labels: z.number(),
              acceptances: z.number(),
              allocations: z.number(),
            }),
          },
        },
      },
      400: errorContent('Not a DID'),
      401: errorContent('Missing or wrong bearer token'),
    },
  }),
}

/** `since` from `If-Match: "<cid>"` or `If-None-Match: *`; absent: no condition. @throws {HttpError} 400 */
function sinceOf(ifMatch: string | undefined, ifNoneMatch: string | undefined): { since?: CID | null } {
  if (ifMatch !== undefined && ifNoneMatch !== undefined)
    throw badRequest('if-match and if-none-match: give one, not both')
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw badRequest('if-none-match: only * is supported')
    return { since: null }
  }
  if (ifMatch === undefined) return {}
  const text = /^\s*"?([^",\s]+)"?\s*$/.exec(ifMatch)?.[1]
  try {
    return { since: CID.parse(text ?? '') }
  } catch (error) {
    throw new HttpError(400, 'BadRequest', 'if-match: expected "<head CID>"', { cause: error })
  }
}

/** Answers the first chunk before the status goes out, so a missing root is a 404, not a cut body. */
async function primed(source: AsyncIterable<Uint8Array>): Promise<AsyncIterable<Uint8Array>> {
  const iterator = source[Symbol.asyncIterator]()
  const first = await iterator.next()
  return {
    async *[Symbol.asyncIterator]() {
      try {
        if (!first.done) yield first.value
        else return
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value
      } finally {
        await iterator.return?.()
      }
    },
  }
}

/**
 * The repos resource (Indigo carstore's RepoStore over HTTP): `PUT /repos/:did` imports a commit
 * CAR and moves the head with compare-and-swap (bearer), `GET /repos/:did` exports the head's DAG
 * as a CAR, `GET /repos/:did/head`, `DELETE /repos/:did` (bearer).
 */
export function repoRoutes(context: RouteContext) {
  const { cradle } = context
  const auth = bearerAuth(() => cradle.authToken)
  const limit = limitBody(cradle.config.server.maxBlobSize, 'repo CAR')
  const carOnly = async (
    c: { req: { header(name: string): string | undefined } },
    next: () => Promise<void>,
  ) => {
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase()
    if (type !== CAR_CONTENT_TYPE)
      throw new HttpError(415, 'UnsupportedMediaType', `content-type: expected ${CAR_CONTENT_TYPE}`)
    await next()
  }
  return createRouter()
    .openapi({ ...routes.put, middleware: [auth, carOnly, limit] as const }, async (c) => {
      const { did } = c.req.valid('param')
      const since = sinceOf(c.req.header('if-match'), c.req.header('if-none-match'))
      const length = Number(c.req.header('content-length'))
      const body = (c.req.raw.body ?? []) as AsyncIterable<Uint8Array>
      const imported = await cradle.repos
        .importRepo(did, body, {
          signal: c.req.raw.signal,
          ...since,
          ...(Number.isSafeInteger(length) && length > 0 ? { size: length } : {}),
        })
        .catch((error: unknown) => {
          if (!(error instanceof RepoBaseMismatchError)) throw error
          const headers: Record<string, string> = error.current === null ? {} : { ETag: `"${error.current}"` }
          throw new HttpError(412, error.name, error.message, { headers, cause: error })
        })
      const answer = {
        did,
        head: imported.head.toString(),
        version: imported.version,
        updatedAt: imported.updatedAt.toISOString(),
        car: base58btc.encode(imported.car.bytes),
        size: imported.size,
        blocks: imported.blocks,
      }
      return c.json(answer, imported.previous === null ? 201 : 200, { ETag: `"${answer.head}"` })
    })
    .openapi(routes.head, async (c) => {
      const head = await cradle.repos.getRepoHead(c.req.valid('param').did, { signal: c.req.raw.signal })
      const answer = {
        did: head.did,
        head: head.head.toString(),
        version: head.version,
        updatedAt: head.updatedAt.toISOString(),
      }
      return c.json(answer, 200, { ETag: `"${answer.head}"`, 'Cache-Control': 'no-cache' })
    })
    .openapi(routes.get, async (c) => {
      const signal = c.req.raw.signal
      const { head } = await cradle.repos.getRepoHead(c.req.valid('param').did, { signal })
      const car = await primed(cradle.cars.exportCar(head, { signal }))
      return new Response(toReadableStream(car), {
        status: 200,
        headers: {
          'Content-Type': CAR_CONTENT_TYPE,
          ETag: `"${head}"`,
          'Cache-Control': 'no-cache',
          'X-Content-Type-Options': 'nosniff',
        },
      }) as never
    })
    .openapi({ ...routes.delete, middleware: [auth] as const }, async (c) => {
      const result = await cradle.repos.deleteRepo(c.req.valid('param').did, { signal: c.req.raw.signal })
      return c.json(result, 200)
    })
}
