/**
 * The answer to `GET` / `HEAD /ipfs/{cid}` (Trustless Gateway), decided once for whatever sends
 * it: negotiation (`protocol/trustless.ts`), conditionals, the verified block or the CAR stream,
 * and every header the spec names. Blocks come from the gateway's read-only `StrataBlockstore`: a
 * blob under the CID's multihash, or a block of an imported CAR (`cradle.cars`), verified as read.
 * @packageDocumentation
 */
import type { StrataBlockstore } from '@strata/blockstore'
import type { CID } from 'multiformats/cid'
import { HttpError } from '../../../errors.js'
import { parseCid } from '../../protocol/cid.js'
import { ifNoneMatchMatches } from '../../protocol/conditionals.js'
import { PUBLIC_READ_CORS } from '../../protocol/cors.js'
import {
  attachment,
  CAR_CONTENT_TYPE,
  negotiate,
  RAW_MEDIA_TYPE,
  type TrustlessAnswer,
} from '../../protocol/trustless.js'
import { BLOB_CACHE_CONTROL } from '../blobs/answer.js'

/** A gateway request, whatever carried it. */
export interface IpfsRequest {
  method: 'GET' | 'HEAD'
  /** The `{cid}` path segment (percent-decoded). */
  cid: string
  /** A query parameter, or undefined. */
  query(name: string): string | undefined
  /** The raw query string (without `?`), for `Content-Location`. */
  search: string
  /** A request header by lower-case name. */
  header(name: string): string | undefined
  /** Aborted when the client goes away. */
  signal: AbortSignal
}

/**
 * What to answer: status, headers and (GET only) the body: a verified block in hand, or chunks
 * whose first was already read.
 */
export interface IpfsAnswer {
  status: 200 | 304
  headers: Record<string, string>
  body?: AsyncIterable<Uint8Array> | Uint8Array
}

/**
 * Decides the answer. The root block (raw: the block) is opened, and its first chunk read, before
 * anything is answered, so a missing or corrupt root is an error status, never a broken 200.
 * @throws {HttpError} 400 (not a CID, unsupported format or CAR parameter), 404 `NotFoundError`
 *   (the root block is not here), 406 `NotAcceptable`, 412 (`Cache-Control: only-if-cached` and
 *   not here), 500 (a stored block does not match its CID; logged, never served).
 */
export async function answerIpfs(blocks: StrataBlockstore, request: IpfsRequest): Promise<IpfsAnswer> {
  const { cid, name } = parsed(request.cid)
  const answer = negotiate({ query: request.query, accept: request.header('accept') })
  const headers: Record<string, string> = {
    ...GATEWAY_HEADERS,
    'X-Ipfs-Path': `/ipfs/${request.cid}`,
    'X-Ipfs-Roots': name,
  }
  if (answer.negotiated) headers['Content-Location'] = contentLocation(request, answer.format)
  const filename = request.query('filename')
  const opaque = answer.format === 'raw' ? `"${name}.raw"` : `"${name}.car.${answer.scope}.dfs.n"`
  headers.ETag = answer.format === 'raw' ? opaque : `W/${opaque}`
  const io = { signal: request.signal }
  const missing = (error: unknown) => notHere(cid, request, error)

  const ifNoneMatch = request.header('if-none-match')
  if (ifNoneMatch !== undefined && ifNoneMatchMatches(ifNoneMatch, opaque)) {
    if (!(await blocks.has(cid, io))) throw missing(undefined)
    return { status: 304, headers }
  }
  if (answer.format === 'raw') {
    headers['Content-Type'] = RAW_MEDIA_TYPE
    headers['Content-Disposition'] = attachment(filename ?? `${name}.bin`)
    if (request.method === 'HEAD') {
      const { size } = await blocks.stat(cid, io).catch((error) => {
        throw missing(error)
      })
      headers['Content-Length'] = String(size)
      return { status: 200, headers }
    }
    const read = await blocks.open(cid, io).catch((error) => {
      throw missing(error)
    })
    headers['Content-Length'] = String(read.size)
    // a block of a CAR is read and verified whole: sent in one write
    if (read.bytes !== undefined) return { status: 200, headers, body: read.bytes }
    return { status: 200, headers, body: await started(cid, read.body) }
  }
  headers['Content-Type'] = CAR_CONTENT_TYPE
  headers['Content-Disposition'] = attachment(filename ?? `${name}.car`)
  if (request.method === 'HEAD') {
    if (!(await blocks.has(cid, io))) throw missing(undefined)
    return { status: 200, headers }
  }
  const car = blocks.exportCar(cid, {
    scope: (answer as Extract<TrustlessAnswer, { format: 'car' }>).scope,
    ...io,
  })
  return { status: 200, headers, body: await started(cid, car, missing) }
}

/** The headers of every gateway answer (304 included) that do not depend on the request. */
const GATEWAY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': BLOB_CACHE_CONTROL,
  'X-Content-Type-Options': 'nosniff',
  'Accept-Ranges': 'none',
  Vary: 'Accept',
  ...PUBLIC_READ_CORS,
})

/**
 * The most recently asked CIDs, parsed once with their canonical string (multibase decoding and
 * encoding show on the per-request path); as many as `/block` keeps (oldest dropped first).
 */
const PARSED = new Map<string, { cid: CID; name: string }>()
const PARSED_CAPACITY = 16_384

/** `parseCid` and the CID's string, remembered for valid CIDs (a bad one throws each time). */
function parsed(text: string): { cid: CID; name: string } {
  const found = PARSED.get(text)
  if (found !== undefined) return found
  const cid = parseCid(text)
  const entry = { cid, name: cid.toString() }
  if (PARSED.size >= PARSED_CAPACITY) PARSED.delete(PARSED.keys().next().value as string)
  PARSED.set(text, entry)
  return entry
}

/**
 * `body` with its first chunk already read (so a failure before any byte is an error status), as
 * an iterable that yields it, then the rest.
 */
async function started(
  cid: CID,
  body: AsyncGenerator<Uint8Array>,
  missing: (error: unknown) => unknown = (error) => error,
): Promise<AsyncIterable<Uint8Array>> {
  let first: IteratorResult<Uint8Array>
  try {
    first = await body.next()
  } catch (error) {
    throw corrupt(cid, error) ?? missing(error)
  }
  return (async function* () {
    if (first.done) return
    yield first.value
    yield* body
  })()
}

/** A 500 for a stored block that does not verify (its details go to the log, not the client). */
function corrupt(cid: CID, error: unknown): HttpError | undefined {
  if ((error as { name?: unknown } | null)?.name !== 'DigestMismatchError') return undefined
  return new HttpError(500, 'InternalError', `stored block ${cid} does not match its CID`, { cause: error })
}

/** A missing root as 404 (or 412 under `Cache-Control: only-if-cached`); other errors unchanged. */
function notHere(cid: CID, request: IpfsRequest, error: unknown): unknown {
  if (error !== undefined && (error as { name?: unknown } | null)?.name !== 'NotFoundError') {
    return corrupt(cid, error) ?? error
  }
  if (/\bonly-if-cached\b/i.test(request.header('cache-control') ?? '')) {
    return new HttpError(412, 'PreconditionFailed', `block ${cid} is not in this gateway (only-if-cached)`)
  }
  return new HttpError(404, 'NotFoundError', `block ${cid} not found`, { cause: error })
}

/** The URL of the negotiated variant: the request's, with `format` set. */
function contentLocation(request: IpfsRequest, format: 'raw' | 'car'): string {
  const params = new URLSearchParams(request.search)
  params.set('format', format)
  return `/ipfs/${encodeURIComponent(request.cid)}?${params.toString()}`
}
