import { createHash, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { HttpError } from '../../errors.js'

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/**
 * Middleware requiring `Authorization: Bearer <token>`, `token()` read at each request (the
 * container's `authToken` exists only once started). Compared in constant time (on sha256s, so the
 * token's length does not leak either).
 * @throws {HttpError} `401 Unauthorized` (with `WWW-Authenticate: Bearer`) when missing or wrong.
 */
export function bearerAuth(token: () => string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
    const given = match?.[1]
    if (given === undefined || !timingSafeEqual(sha256(given), sha256(token()))) {
      throw new HttpError(
        401,
        'Unauthorized',
        given === undefined ? 'bearer token required' : 'wrong bearer token',
        {
          headers: { 'WWW-Authenticate': 'Bearer' },
        },
      )
    }
    await next()
  }
}
