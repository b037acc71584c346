import type { MiddlewareHandler } from 'hono'
import { HttpError } from '../../errors.js'
import { limitBody } from './body-limit.js'

/** The largest JSON request body accepted: 64 KiB (an allocation or acceptance is under 1 KiB). */
export const MAX_JSON_BODY_BYTES = 64 * 1024

/** `application/json`, any case, with or without parameters (`; charset=utf-8`). */
const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i

const jsonLimit = limitBody(MAX_JSON_BODY_BYTES, 'body:')

/**
 * Guards a JSON route, before its body is read: 415 `UnsupportedMediaType` unless the request
 * says `Content-Type: application/json`, 413 `TooLargeError` for a body over
 * {@link MAX_JSON_BODY_BYTES} (declared or streamed: the body is never read past the limit).
 */
export const jsonBody: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type')
  if (type === undefined || !JSON_MEDIA_TYPE.test(type)) {
    throw new HttpError(415, 'UnsupportedMediaType', 'content-type: expected application/json')
  }
  return jsonLimit(c, next)
}
