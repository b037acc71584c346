/**
 * What every route module builds on: an `OpenAPIHono` router whose request validation answers the
 * server's JSON error body, and the schemas the routes share. The OpenAPI description of the API is
 * generated from the same zod schemas the routes validate with.
 * @packageDocumentation
 */

import { createRequire } from 'node:module'
import type { Hook } from '@hono/zod-openapi'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { Env } from 'hono'
import { badRequest } from '../errors.js'

export { createRoute, z } from '@hono/zod-openapi'

/** `{ error: { name, message } }`: the body of every error answer. */
export const ErrorSchema = z
  .object({
    error: z.object({
      name: z.string().openapi({ example: 'NotFoundError' }),
      message: z.string().openapi({ example: 'blob zQm… not found' }),
    }),
  })
  .openapi('Error')

/** The OpenAPI `responses` entry of an error status: the JSON error body. */
export function errorContent(description: string) {
  return { description, content: { 'application/json': { schema: ErrorSchema } } } as const
}

/**
 * Turns a failed validation into `400 BadRequest` naming the first bad field
 * (`blob.size: expected an integer`), as every route answers it.
 */
function validationHook(result: { success: boolean; target: string; error?: unknown }): void {
  if (result.success) return
  const issue = (result.error as { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0]
  const field =
    issue === undefined || issue.path.length === 0 ? result.target : issue.path.map(String).join('.')
  throw badRequest(`${field === 'json' ? 'body' : field}: ${issue?.message ?? 'invalid'}`, {
    cause: result.error,
  })
}

/** A router for one resource: OpenAPI route definitions, validation errors as `400 BadRequest`. */
export function createRouter<E extends Env = Env>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({ defaultHook: validationHook as unknown as Hook<unknown, E, string, unknown> })
}

/** The server's version, from its package.json (`dist/http/` and `src/http/` are both two levels down). */
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version

const describeApi = createRoute({
  method: 'get',
  path: '/openapi.json',
  summary:
    'This description of the HTTP API (OpenAPI 3.1), generated from the schemas the routes validate with',
  responses: {
    200: {
      description: 'The OpenAPI 3.1 document',
      content: { 'application/json': { schema: z.object({ openapi: z.string() }).passthrough() } },
    },
  },
})

/**
 * Mounts `GET /openapi.json` on `app`: the OpenAPI 3.1 description of every route mounted on it
 * (call it once all are), with the bearer scheme the write routes name. Built once, on first ask.
 */
export function serveOpenApi(app: OpenAPIHono): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: "The node's auth token (`<dataDir>/auth-token`)",
  })
  let document: ReturnType<OpenAPIHono['getOpenAPI31Document']> | undefined
  app.openapi(describeApi, (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'strata',
        version: VERSION,
        description:
          'A content-addressed blob and object store: blobs with ranges, presigned uploads, records.',
      },
    })
    return c.json(document as { openapi: string }, 200)
  })
}
