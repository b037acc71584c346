import { BLOB_CACHE_CONTROL } from './blobs/answer.js'

/** `Content-Type` of CAR answers. */
export const CAR_CONTENT_TYPE = 'application/vnd.ipld.car'

/** The headers of a content-addressed (hence immutable) CAR download of `size` bytes. */
export function carHeaders(size: number): Record<string, string> {
  return {
    'Content-Type': CAR_CONTENT_TYPE,
    'Content-Length': String(size),
    'Cache-Control': BLOB_CACHE_CONTROL,
    'X-Content-Type-Options': 'nosniff',
  }
}
