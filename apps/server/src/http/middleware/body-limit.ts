import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HttpError } from '../../errors.js'

/**
 * Refuses a request body over `maxSize` bytes (declared, or counted while it streams: it is never
 * read past the limit) with 413 `TooLargeError` "`what` exceeds `maxSize` bytes".
 */
export function limitBody(maxSize: number, what: string): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new HttpError(413, 'TooLargeError', `${what} exceeds ${maxSize} bytes`)
    },
  })
}
