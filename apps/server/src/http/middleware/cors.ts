import type { MiddlewareHandler } from 'hono'
import { HttpError } from '../../errors.js'
import {
  EXPOSED_HEADERS,
  isPublicReadPath,
  PUBLIC_READ_CORS,
  READ_REQUEST_HEADERS,
} from '../protocol/cors.js'

/** Options for {@link cors}. */
export interface CorsOptions {
  /** Origins (`https://app.example`) allowed to write (PUT/POST/DELETE); `*` allows any. Default none. */
  writeOrigins?: readonly string[]
}

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = '86400'

const READ_METHODS = new Set(['GET', 'HEAD'])

/**
 * CORS for the whole app:
 * - public reads (`GET`/`HEAD` under `/blob`, `/ipfs`, `/block`, `/car`, `/claim`, `/receipts`):
 *   `Access-Control-Allow-Origin: *` and the exposed headers on every answer, errors included;
 *   a preflight (`OPTIONS` with `Access-Control-Request-Method: GET|HEAD`) allows `Range`,
 *   `If-None-Match` and the other conditionals (204);
 * - writes (any other method): only from `writeOrigins`. A preflight from another origin is
 *   refused (403, no CORS headers), and so is a write carrying an `Origin` not allowed, before
 *   it runs (browsers send `Origin` on every cross-origin write; non-browser clients send none
 *   and are unaffected). An allowed origin gets `Access-Control-Allow-Origin: <origin>` and
 *   `Vary: Origin`.
 * `OPTIONS` without preflight headers goes on to the routes (404).
 */
export function cors(options: CorsOptions = {}): MiddlewareHandler {
  const writeOrigins = new Set(options.writeOrigins ?? [])
  const mayWrite = (origin: string) => writeOrigins.has('*') || writeOrigins.has(origin)
  return async (c, next) => {
    const method = c.req.method
    const origin = c.req.header('origin')
    const path = c.req.path
    if (method === 'OPTIONS') {
      const requested = c.req.header('access-control-request-method')?.toUpperCase()
      if (requested === undefined || origin === undefined) return next()
      if (READ_METHODS.has(requested) && isPublicReadPath(path)) {
        return new Response(null, {
          status: 204,
          headers: {
            ...PUBLIC_READ_CORS,
            'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
            'Access-Control-Allow-Headers': READ_REQUEST_HEADERS,
            'Access-Control-Max-Age': PREFLIGHT_MAX_AGE,
          },
        })
      }
      if (!mayWrite(origin)) throw forbidden(origin, requested, path)
      const headers = c.req.header('access-control-request-headers')
      return new Response(null, {
        status: 204,
        headers: {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': 'GET, HEAD, PUT, POST, DELETE, OPTIONS',
          ...(headers ? { 'Access-Control-Allow-Headers': headers } : {}),
          'Access-Control-Max-Age': PREFLIGHT_MAX_AGE,
          Vary: 'Origin',
        },
      })
    }
    if (READ_METHODS.has(method)) {
      await next()
      if (isPublicReadPath(path))
        for (const [name, value] of Object.entries(PUBLIC_READ_CORS)) c.res.headers.set(name, value)
      return
    }
    if (origin === undefined) return next()
    if (!mayWrite(origin)) throw forbidden(origin, method, path)
    await next()
    c.res.headers.set('Access-Control-Allow-Origin', origin)
    c.res.headers.set('Access-Control-Expose-Headers', EXPOSED_HEADERS)
    c.res.headers.append('Vary', 'Origin')
  }
}

function forbidden(origin: string, method: string, path: string): HttpError {
  return new HttpError(
    403,
    'Forbidden',
    `origin ${JSON.stringify(origin.slice(0, 100))} may not ${method} ${path}: writes are open to the origins of server.cors.writeOrigins only`,
  )
}
