/**
 * What every route module builds on: an `OpenAPIHono` router whose request validation answers the
 * server's JSON error body, and the schemas the routes share. The OpenAPI description of the API is
 * generated from the same zod schemas the routes validate with.
 * @packageDocumentation
 */

import type { Hook } from '@hono/zod-openapi'
import { OpenAPIHono, z } from '@hono/zod-openapi'
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
