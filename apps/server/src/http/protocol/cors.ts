/**
 * What CORS answers for strata's public reads (no hono here: the blob answer and the socket fast
 * path use it too). Every public read is open to any origin: content-addressed, immutable, no
 * credentials. Writes are open to the origins of `server.cors.writeOrigins` only (default none).
 * @packageDocumentation
 */

/** Path prefixes of the public reads (GET/HEAD): blobs, the gateway, blocks, CARs, claims, receipts. */
export const PUBLIC_READ_PREFIXES = ['/blob/', '/ipfs/', '/block/', '/car/', '/claim/', '/receipts/'] as const

/** Response headers a browser client reads (beyond the CORS-safelisted ones). */
export const EXPOSED_HEADERS = [
  'Accept-Ranges',
  'Content-Disposition',
  'Content-Length',
  'Content-Location',
  'Content-Range',
  'ETag',
  'Location',
  'Retry-After',
  'X-Ipfs-Path',
  'X-Ipfs-Roots',
].join(', ')

/** The request headers a read may carry cross-origin (the rest are safelisted). */
export const READ_REQUEST_HEADERS = 'Range, If-None-Match, If-Match, If-Range, Cache-Control'

/** The CORS headers of every public read's answer, errors included. */
export const PUBLIC_READ_CORS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': EXPOSED_HEADERS,
})

/** Whether `path` is under a public read prefix. */
export function isPublicReadPath(path: string): boolean {
  return PUBLIC_READ_PREFIXES.some((prefix) => path.startsWith(prefix))
}
