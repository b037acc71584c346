/**
 * The answer to `GET` / `HEAD /block/:cid`, decided once for every way of sending it (the hono
 * route, and the socket written directly): the block's bytes, verified against the CID by
 * `CarStore.getBlock` before a byte is sent.
 * @packageDocumentation
 */
import { BlockNotFoundError, type CarStore, type CID } from '@strata/car'
import { HttpError } from '../../../errors.js'
import { ifNoneMatchMatches } from '../../protocol/conditionals.js'
import { PUBLIC_READ_CORS } from '../../protocol/cors.js'
import { BLOB_CACHE_CONTROL } from '../blobs/answer.js'

/** `Content-Type` of a block (the Trustless Gateway's raw block type). */
export const BLOCK_CONTENT_TYPE = 'application/vnd.ipld.raw'

/** A block read request, whatever carried it. */
export interface BlockReadRequest {
  method: 'GET' | 'HEAD'
  /** A request header by lower-case name. */
  header(name: string): string | undefined
  /** Aborted when the client goes away. */
  signal: AbortSignal
}

/** What to answer: status, headers and (GET 200 only) the block's bytes. */
export interface BlockAnswer {
  status: 200 | 304
  headers: Record<string, string>
  body?: Uint8Array
}

/** The strong ETag of a block: its CID, as the Trustless Gateway names it. */
export function blockEtag(cid: CID): string {
  return `"${cid.toString()}"`
}

/**
 * Decides the answer to a block read. Costs one index lookup and one ranged blob read (HEAD too:
 * the length comes from reading the block); `If-None-Match` matching the ETag costs the lookup and
 * a `has` of the blob.
 * @throws {BlockNotFoundError} (404) no stored CAR holds the block.
 * @throws {HttpError} 500 when the stored bytes do not hash to the CID (logged; never sent).
 */
export async function answerBlockRead(
  cars: CarStore,
  cid: CID,
  request: BlockReadRequest,
): Promise<BlockAnswer> {
  const etag = blockEtag(cid)
  const base = {
    ...PUBLIC_READ_CORS,
    ETag: etag,
    'Cache-Control': BLOB_CACHE_CONTROL,
    'X-Content-Type-Options': 'nosniff',
  }
  const signal = request.signal
  const ifNoneMatch = request.header('if-none-match')
  if (ifNoneMatch !== undefined && ifNoneMatchMatches(ifNoneMatch, etag)) {
    if (!(await cars.hasBlock(cid, { signal }))) throw new BlockNotFoundError(cid)
    return { status: 304, headers: base }
  }
  let bytes: Uint8Array
  try {
    bytes = await cars.getBlock(cid, { signal })
  } catch (error) {
    if ((error as { name?: unknown }).name !== 'DigestMismatchError') throw error
    throw new HttpError(500, 'InternalError', `stored block ${cid} does not verify`, { cause: error })
  }
  const headers = { ...base, 'Content-Type': BLOCK_CONTENT_TYPE, 'Content-Length': String(bytes.byteLength) }
  return request.method === 'HEAD' ? { status: 200, headers } : { status: 200, headers, body: bytes }
}
