/**
 * The answer to `GET` / `HEAD /blob/:digest`, decided once for every way of sending it (the hono
 * route, and a socket written directly). It costs at most one backend request for a plain GET, a
 * single range (`bytes=a-b`, `bytes=a-`, `bytes=-n`), `If-Range` and `If-None-Match`; one `stat`
 * plus one read per range for several ranges; one `stat` for HEAD, which never opens a body.
 * @packageDocumentation
 */
import type { BlobResult, BlobStore, ByteRange, MultihashDigest } from '@strata/blobstore'
import { rangeHeaderOf } from '@strata/objectstore'
import { HttpError } from '../../../errors.js'
import { ifMatchHolds, ifNoneMatchMatches, ifRangeHolds } from '../../protocol/conditionals.js'
import { PUBLIC_READ_CORS } from '../../protocol/cors.js'
import { etagOf } from '../../protocol/digest.js'
import { multipartBody, planMultipart } from '../../protocol/multipart.js'
import { contentRange, parseRange, singleRange } from '../../protocol/ranges.js'

/** `Cache-Control` of a blob: content under a digest never changes (336 days, as Piri). */
export const BLOB_CACHE_CONTROL = 'public, max-age=29030400, immutable'

/** `Content-Type` of a blob (and of each part of a multipart answer). */
export const BLOB_CONTENT_TYPE = 'application/octet-stream'

/** A blob read request, whatever carried it. */
export interface BlobReadRequest {
  method: 'GET' | 'HEAD'
  /** A request header by lower-case name. */
  header(name: string): string | undefined
  /** Aborted when the client goes away: passed to every backend read. */
  signal: AbortSignal
}

/** What to answer: status, headers and (GET only) the body, not yet read. */
export interface BlobAnswer {
  status: 200 | 206 | 304
  headers: Record<string, string>
  /** Chunks still to be read, or the bytes in one piece when the backend read them so. */
  body?: AsyncIterable<Uint8Array> | Uint8Array
  /** Gives a chunk of `body` back to the backend once the socket has taken it (see `ObjectResult.recycle`). */
  recycle?: (chunk: Uint8Array) => void
}

/** Options for {@link answerBlobRead}. */
export interface AnswerOptions {
  /** Most parts of a multi-range answer; more are ignored (200 whole blob). Default 64. */
  maxRanges?: number
  /** The digest's ETag when the caller knows it already (`etagOf(digest)`). */
  etag?: string
}

/**
 * Decides the answer to a blob read (RFC 9110 ranges and conditionals for an immutable blob whose
 * strong ETag is `"z<digest>"`).
 * @throws {HttpError} 404 `NotFoundError` naming the digest; 412 `PreconditionFailed` for a failed
 *   `If-Match`; 416 `RangeNotSatisfiableError` with `Content-Range: bytes *\/size`.
 */
export async function answerBlobRead(
  blobs: BlobStore,
  digest: MultihashDigest,
  request: BlobReadRequest,
  options: AnswerOptions = {},
): Promise<BlobAnswer> {
  const etag = options.etag ?? etagOf(digest)
  const base = {
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Cache-Control': BLOB_CACHE_CONTROL,
    ...PUBLIC_READ_CORS,
  }
  const reader = new Reader(blobs, digest, request.signal)
  const ifMatch = request.header('if-match')
  if (ifMatch !== undefined && !ifMatchHolds(ifMatch, etag)) {
    await reader.size()
    throw new HttpError(412, 'PreconditionFailed', `If-Match does not match ${etag}`, {
      headers: { ETag: etag },
    })
  }
  const ifNoneMatch = request.header('if-none-match')
  if (ifNoneMatch !== undefined && ifNoneMatchMatches(ifNoneMatch, etag)) {
    await reader.size()
    return { status: 304, headers: base }
  }
  const range = ifRangeHolds(request.header('if-range') ?? null, etag) ? request.header('range') : undefined
  const head = request.method === 'HEAD'
  if (!head && range === undefined) {
    const whole = await reader.open()
    return withBytes(
      { status: 200, headers: { ...base, ...wholeHeaders(whole.size) }, body: whole.body },
      whole,
    )
  }
  const one = head ? undefined : singleRange(range)
  if (one !== undefined) {
    const part = await reader.open(one)
    // A suffix of an empty blob selects its 0 bytes, which no Content-Range can name: 200.
    if (part.range.length === 0)
      return { status: 200, headers: { ...base, ...wholeHeaders(0) }, body: part.body }
    return withBytes({ status: 206, headers: { ...base, ...partHeaders(part) }, body: part.body }, part)
  }
  return answerWithSize(reader, await reader.size(), { base, head, range, ...options })
}

/** HEAD, several ranges, or a header that needs the size to be understood: after one `stat`. */
async function answerWithSize(
  reader: Reader,
  size: number,
  context: { base: Record<string, string>; head: boolean; range: string | undefined; maxRanges?: number },
): Promise<BlobAnswer> {
  const { base, head, range } = context
  const parsed = parseRange(
    range,
    size,
    context.maxRanges === undefined ? {} : { maxRanges: context.maxRanges },
  )
  if (parsed.kind === 'unsatisfiable') throw unsatisfiable(range ?? '', size)
  if (parsed.kind === 'full') {
    const headers = { ...base, ...wholeHeaders(size) }
    return head ? { status: 200, headers } : { status: 200, headers, body: (await reader.open()).body }
  }
  const [only, ...rest] = parsed.ranges
  if (only !== undefined && rest.length === 0) {
    const headers = { ...base, ...partHeaders({ size, range: only }) }
    return head ? { status: 206, headers } : { status: 206, headers, body: (await reader.open(only)).body }
  }
  const plan = planMultipart(parsed.ranges, size)
  const headers = { ...base, 'Content-Type': plan.contentType, 'Content-Length': String(plan.length) }
  if (head) return { status: 206, headers }
  const read = async (part: ByteRange) => (await reader.open(part)).body
  return { status: 206, headers, body: multipartBody(plan, read) }
}

/**
 * `answer` with the read's bytes in one piece as its body, when the backend had them so (its body
 * then holds nothing), and the read's `recycle`: the body is the read's own, chunk for chunk.
 */
function withBytes(answer: BlobAnswer, read: BlobResult): BlobAnswer {
  if (read.bytes !== undefined) answer.body = read.bytes
  if (read.recycle !== undefined) answer.recycle = read.recycle
  return answer
}

function wholeHeaders(size: number): Record<string, string> {
  return { 'Content-Type': BLOB_CONTENT_TYPE, 'Content-Length': String(size) }
}

function partHeaders(part: Pick<BlobResult, 'size' | 'range'>): Record<string, string> {
  return {
    'Content-Type': BLOB_CONTENT_TYPE,
    'Content-Length': String(part.range.length),
    'Content-Range': contentRange(part.range, part.size),
  }
}

function unsatisfiable(range: string, size: number): HttpError {
  const shown = range.length > 64 ? `${range.slice(0, 64)}…` : range
  return new HttpError(
    416,
    'RangeNotSatisfiableError',
    `no range of ${JSON.stringify(shown)} is satisfiable for a blob of ${size} bytes`,
    { headers: { 'Accept-Ranges': 'bytes', 'Content-Range': `bytes */${size}` } },
  )
}

/** The blob store's reads for one request: its signal, a missing blob as a 404 naming the digest. */
class Reader {
  readonly #blobs: BlobStore
  readonly #digest: MultihashDigest
  readonly #signal: AbortSignal

  constructor(blobs: BlobStore, digest: MultihashDigest, signal: AbortSignal) {
    this.#blobs = blobs
    this.#digest = digest
    this.#signal = signal
  }

  /** One read (whole, or `range`); a range outside the blob is a 416 with the size it learned. */
  async open(range?: ByteRange): Promise<BlobResult> {
    try {
      return await this.#blobs.get(
        this.#digest,
        range === undefined ? { signal: this.#signal } : { range, signal: this.#signal },
      )
    } catch (error) {
      const { name, size } = error as { name?: unknown; size?: unknown }
      if (name === 'RangeNotSatisfiableError' && typeof size === 'number') {
        throw unsatisfiable(range === undefined ? '' : rangeHeaderOf(range), size)
      }
      throw this.#missing(error)
    }
  }

  /** One `stat`. */
  async size(): Promise<number> {
    try {
      return (await this.#blobs.stat(this.#digest, { signal: this.#signal })).size
    } catch (error) {
      throw this.#missing(error)
    }
  }

  #missing(error: unknown): unknown {
    if ((error as { name?: unknown }).name !== 'NotFoundError') return error
    return new HttpError(404, 'NotFoundError', `blob ${etagOf(this.#digest).slice(1, -1)} not found`, {
      cause: error,
    })
  }
}
