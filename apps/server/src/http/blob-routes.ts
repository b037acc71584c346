import type { BlobResult, BlobStore, ByteRange, MultihashDigest } from '@strata/blobstore'
import { type Context, Hono } from 'hono'
import { ifMatchHolds, ifNoneMatchMatches, ifRangeHolds } from './conditionals.js'
import { etagOf, parseDigest } from './digest.js'
import { type ErrorLogger, errorHandler, errorResponse, HttpError } from './errors.js'
import { multipartBody, planMultipart } from './multipart.js'
import { contentRange, type InclusiveRange, lengthOf, parseRange } from './ranges.js'
import { toReadableStream } from './stream.js'

/** `Cache-Control` of a blob: content under a digest never changes (brief §8; 336 days). */
export const BLOB_CACHE_CONTROL = 'public, max-age=29030400, immutable'

/** `Content-Type` of a blob (and of each part of a multipart answer). */
export const BLOB_CONTENT_TYPE = 'application/octet-stream'

/** Options for {@link blobReadRoutes}. */
export interface BlobReadRoutesOptions {
  /** Where blobs are read from. */
  blobs: BlobStore
  /** Most parts of a multi-range answer; more are ignored (200 full). Default 64. */
  maxRanges?: number
  /** Where 5xx errors are logged (a pino logger fits). Default: not logged. */
  logger?: ErrorLogger
}

/**
 * The public read routes, as a hono app to mount with `app.route('/', blobReadRoutes({ blobs }))`:
 * `GET` and `HEAD /blob/:digest` (hono dispatches HEAD to the GET route and drops the body; the
 * handler sees `HEAD` and never opens a body for it). See `README.md` (HTTP API: downloads) for every status and
 * header. The digest may be any multibase multihash or a CID ({@link parseDigest}).
 *
 * - 200 whole blob; 206 one range (`Content-Range: bytes s-e/size`) or several
 *   (`multipart/byteranges`); 416 (`Content-Range: bytes *\/size`, JSON body); 304 on
 *   `If-None-Match`; 412 on a failed `If-Match`; `If-Range` with our ETag lets ranges apply.
 * - Always `Accept-Ranges: bytes`, `ETag: "z<base58btc multihash>"`,
 *   `Cache-Control: public, max-age=29030400, immutable` on 200/206/304.
 * - Bodies stream from the backend with backpressure; the request's `AbortSignal` goes to every
 *   backend read, and a client that disconnects cancels the stream (iterator `return()`).
 * - Errors answer `{ error: { name, message } }` from the one status table (`errors.ts`); the
 *   app's own `onError` is used too, this sub-app sets the same handler so it works standalone.
 */
export function blobReadRoutes(options: BlobReadRoutesOptions): Hono {
  const { blobs, maxRanges, logger } = options
  const app = new Hono()
  app.onError(errorHandler(logger === undefined ? {} : { logger }))
  app.get('/blob/:digest', (c) => readBlob(c, blobs, maxRanges, logger))
  return app
}

async function readBlob(
  c: Context,
  blobs: BlobStore,
  maxRanges: number | undefined,
  logger: ErrorLogger | undefined,
): Promise<Response> {
  const head = c.req.method === 'HEAD'
  const digest = parseDigest(c.req.param('digest') ?? '')
  const etag = etagOf(digest)
  const signal = c.req.raw.signal
  const headers = c.req.raw.headers
  const range = headers.get('range') ?? undefined
  const ifMatch = headers.get('if-match')
  const ifNoneMatch = headers.get('if-none-match')
  // The response, its body (none for HEAD) streamed at the HTTP edge; mid-body failures are logged.
  const send = (
    status: number,
    responseHeaders: Record<string, string>,
    body?: AsyncIterable<Uint8Array>,
  ) => {
    const onError = (error: unknown) =>
      logger?.error({ err: error, path: c.req.path }, 'blob body failed mid-response')
    const stream = body === undefined ? null : toReadableStream(body, onError)
    return new Response(stream, { status, headers: responseHeaders })
  }
  const base = {
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Cache-Control': BLOB_CACHE_CONTROL,
    'X-Content-Type-Options': 'nosniff',
  }

  // The common case, a plain GET: one backend read answers both the size and the bytes.
  if (!head && range === undefined && ifMatch === null && ifNoneMatch === null) {
    const { size, body } = await open(blobs, digest, {}, signal)
    return send(200, { ...base, 'Content-Type': BLOB_CONTENT_TYPE, 'Content-Length': String(size) }, body)
  }

  // A plain single `bytes=a-b` range GET (the common ranged read): opened directly, one backend
  // read answering both the size and the bytes, instead of a 1-byte size probe then the range
  // (halves the file opens per request on flatfs). Any other case, or a range the backend refuses
  // (partly outside the blob), takes the general path below.
  if (!head && range !== undefined && ifMatch === null && ifNoneMatch === null && !headers.has('if-range')) {
    const fast = await openSingleRange(blobs, digest, range, maxRanges, signal)
    if (fast !== undefined) {
      const partHeaders = {
        ...base,
        'Content-Type': BLOB_CONTENT_TYPE,
        'Content-Length': String(lengthOf(fast.range)),
        'Content-Range': contentRange(fast.range, fast.size),
      }
      return send(206, partHeaders, fast.body)
    }
  }

  const size = await sizeOf(blobs, digest, signal)
  if (ifMatch !== null && !ifMatchHolds(ifMatch, etag)) {
    return errorResponse(412, 'PreconditionFailed', `If-Match does not match ${etag}`, { ETag: etag })
  }
  if (ifNoneMatch !== null && ifNoneMatchMatches(ifNoneMatch, etag)) {
    return new Response(null, { status: 304, headers: base })
  }
  const request = ifRangeHolds(headers.get('if-range'), etag)
    ? parseRange(range, size, maxRanges === undefined ? {} : { maxRanges })
    : { kind: 'full' as const }

  if (request.kind === 'unsatisfiable') {
    return errorResponse(
      416,
      'RangeNotSatisfiableError',
      `no range of ${JSON.stringify(range)} is satisfiable for a blob of ${size} bytes`,
      { 'Accept-Ranges': 'bytes', 'Content-Range': `bytes */${size}` },
    )
  }
  if (request.kind === 'full') {
    const fullHeaders = { ...base, 'Content-Type': BLOB_CONTENT_TYPE, 'Content-Length': String(size) }
    if (head) return send(200, fullHeaders)
    const { body } = await open(blobs, digest, {}, signal)
    return send(200, fullHeaders, body)
  }
  const [only, ...rest] = request.ranges
  if (only !== undefined && rest.length === 0) {
    const partHeaders = {
      ...base,
      'Content-Type': BLOB_CONTENT_TYPE,
      'Content-Length': String(lengthOf(only)),
      'Content-Range': contentRange(only, size),
    }
    if (head) return send(206, partHeaders)
    const { body } = await open(blobs, digest, { range: only }, signal)
    return send(206, partHeaders, body)
  }
  const plan = planMultipart(request.ranges, size)
  const multiHeaders = { ...base, 'Content-Type': plan.contentType, 'Content-Length': String(plan.length) }
  if (head) return send(206, multiHeaders)
  const read = async (part: InclusiveRange) => (await open(blobs, digest, { range: part }, signal)).body
  return send(206, multiHeaders, multipartBody(plan, read))
}

/**
 * `blobs.get` with the request's signal, a missing blob turned into a 404 naming the digest in its
 * canonical `z…` form (never the backend key).
 */
async function open(
  blobs: BlobStore,
  digest: MultihashDigest,
  options: { range?: ByteRange },
  signal: AbortSignal,
): Promise<BlobResult> {
  try {
    return await blobs.get(digest, { ...options, signal })
  } catch (error) {
    if ((error as { name?: unknown }).name === 'NotFoundError') {
      throw new HttpError(404, 'NotFoundError', `blob ${etagOf(digest).slice(1, -1)} not found`, {
        cause: error,
      })
    }
    throw error
  }
}

/** `bytes=<first>-<last>`, digits only (what clients send for one explicit range). */
const SINGLE_RANGE = /^bytes=(\d{1,15})-(\d{1,15})$/

/**
 * Opens `bytes=a-b` (a <= b) directly and answers the body, the blob's size and the range, when
 * `parseRange` on that size yields exactly that one range (always, for a range inside the blob).
 * Answers `undefined` (nothing left open) for any other header, or when the backend says the range
 * is not satisfiable (it lies partly outside the blob: the general path clamps it or answers 416).
 * @throws {HttpError} 404 when the blob is not stored.
 */
async function openSingleRange(
  blobs: BlobStore,
  digest: MultihashDigest,
  header: string,
  maxRanges: number | undefined,
  signal: AbortSignal,
): Promise<{ body: AsyncIterable<Uint8Array>; size: number; range: InclusiveRange } | undefined> {
  const match = SINGLE_RANGE.exec(header)
  if (match === null) return undefined
  const start = Number(match[1])
  const end = Number(match[2])
  if (end < start) return undefined
  let result: BlobResult
  try {
    result = await open(blobs, digest, { range: { start, end } }, signal)
  } catch (error) {
    if ((error as { name?: unknown }).name === 'RangeNotSatisfiableError') return undefined
    throw error
  }
  const parsed = parseRange(header, result.size, maxRanges === undefined ? {} : { maxRanges })
  const only = parsed.kind === 'partial' && parsed.ranges.length === 1 ? parsed.ranges[0] : undefined
  if (only === undefined || only.start !== start || only.end !== end) {
    await result.body[Symbol.asyncIterator]().return?.()
    return undefined
  }
  return { body: result.body, size: result.size, range: only }
}

/**
 * The blob's total size without streaming it: a read of its first byte (one ranged GET on S3, a
 * 1-byte read on flatfs), read to the end so the backend's handle is released. An empty blob
 * answers that read with `RangeNotSatisfiableError`, which carries the size (0).
 * @throws {HttpError} 404 when the blob is not stored.
 */
async function sizeOf(blobs: BlobStore, digest: MultihashDigest, signal: AbortSignal): Promise<number> {
  try {
    const { size, body } = await open(blobs, digest, { range: { start: 0, end: 0 } }, signal)
    await drain(body)
    return size
  } catch (error) {
    const size = (error as { name?: unknown; size?: unknown }).size
    if ((error as { name?: unknown }).name === 'RangeNotSatisfiableError' && typeof size === 'number')
      return size
    throw error
  }
}

/** Reads a (1-byte) body to its end, which releases its backend handle. */
async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of body) {
    // at most one byte
  }
}
