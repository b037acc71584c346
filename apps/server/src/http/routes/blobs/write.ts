import type { MultihashDigest } from '@strata/blobstore'
import type { Allocation } from '@strata/stores/allocation'
import { base58btc } from 'multiformats/bases/base58'
import { HttpError } from '../../../errors.js'
import { awaitsContinue, sendContinue } from '../../expect-continue.js'
import { bearerAuth } from '../../middleware/bearer.js'
import { createRoute, createRouter, errorContent } from '../../openapi.js'
import { etagOf, parseDigest } from '../../protocol/digest.js'
import { checksumOf, SPACE_PARAMETER, verifyPresigned } from '../../protocol/presign.js'
import { checkSize, SHA2_256 } from '../allocations.js'
import { blobLocation, type RouteContext } from '../context.js'
import { DigestParam } from './read.js'

/** The most bytes of an already-stored blob's body read off (and dropped) to keep the connection. */
export const MAX_DISCARDED_BODY = 1024 * 1024

const upload = createRoute({
  method: 'put',
  path: '/blob/{digest}',
  summary: 'Upload a blob to a presigned URL (from POST /allocations); verified while it streams',
  request: { params: DigestParam },
  responses: {
    200: { description: 'Already stored; the body was not stored again' },
    201: { description: 'Stored; Location: the blob URL' },
    400: errorContent('Bad digest, checksum header, or missing Content-Length'),
    401: errorContent('Not a valid, unexpired presigned URL for this request'),
    403: errorContent('No live allocation for the blob'),
    409: errorContent(
      'The body does not hash to the digest (nothing stored); or another upload of the blob is still in progress (Retry-After)',
    ),
    413: errorContent('Over server.maxBlobSize'),
    503: errorContent('The in-flight upload budget is spent (Retry-After)'),
    507: errorContent('The blob would not fit on disk beside server.diskReserveBytes'),
  },
})

const remove = createRoute({
  method: 'delete',
  path: '/blob/{digest}',
  summary: 'Delete a blob (idempotent)',
  security: [{ bearer: [] }],
  request: { params: DigestParam },
  responses: {
    204: { description: 'Deleted, or was not stored' },
    400: errorContent('Bad digest'),
    401: errorContent('Missing or wrong bearer token'),
  },
})

/**
 * The blob writes:
 * - `PUT /blob/:digest`, authorised by a presigned URL only (signature, expiry, signed
 *   `content-length` and `x-amz-checksum-sha256`) and a live allocation, then admitted
 *   (`UploadAdmission`: one writer per digest, the others wait for it; the in-flight byte budget;
 *   the disk's free space); only then is `100 Continue` sent to a client that asked for it. The
 *   body streams through digest and size verification into the blob store: 201, 200 when already
 *   stored, 409 on mismatch (nothing stored);
 * - `DELETE /blob/:digest` (bearer): 204, idempotent.
 */
export function blobWriteRoutes(context: RouteContext) {
  const { cradle, publicUrl, now } = context
  const auth = bearerAuth(() => cradle.authToken)

  /**
   * A live allocation of the blob: the one of the space the URL names (`x-strata-space`, signed
   * into the URLs this node presigns: one read), else any (a URL another presigner made: a listing).
   */
  async function requireAllocation(
    digest: MultihashDigest,
    space: string | null,
    seconds: number,
    signal: AbortSignal,
  ): Promise<void> {
    const refused = () =>
      new HttpError(403, 'Forbidden', `no live allocation for blob ${base58btc.encode(digest.bytes)}`)
    let found: Allocation
    try {
      found =
        space === null
          ? await cradle.allocations.getAnyNonExpired(digest, seconds, { signal })
          : await cradle.allocations.get(digest, space as Allocation['space'], { signal })
    } catch (error) {
      if ((error as { name?: unknown }).name !== 'NotFoundError') throw error
      throw refused()
    }
    if (found.expires <= seconds) throw refused()
  }

  return createRouter()
    .openapi(upload, async (c) => {
      const digest = parseDigest(c.req.param('digest'))
      const current = now()
      const headers = c.req.raw.headers
      await verifyPresigned(cradle.signer, cradle.identity.credentials, {
        method: c.req.method,
        url: new URL(c.req.url),
        headers,
        now: current,
      })
      if (digest.code !== SHA2_256 || headers.get('x-amz-checksum-sha256') !== checksumOf(digest)) {
        throw new HttpError(400, 'BadRequest', 'x-amz-checksum-sha256 is not the sha2-256 digest in the path')
      }
      const size = contentLength(headers.get('content-length'))
      checkSize(size, cradle.config.server.maxBlobSize)
      const signal = c.req.raw.signal
      const space = new URL(c.req.url).searchParams.get(SPACE_PARAMETER)
      await requireAllocation(digest, space, Math.floor(current / 1000), signal)
      const z = base58btc.encode(digest.bytes)
      const answer: Record<string, string> = { ETag: etagOf(digest), Location: blobLocation(publicUrl, z) }
      const held = awaitsContinue(c.env) // the client sends its body only after our 100
      const slot = await cradle.uploads.acquire(z, size, {
        signal,
        isStored: () => cradle.blobs.has(digest, { signal }),
        always: held,
      })
      try {
        if (slot.stored) {
          if (held || !(await discarded((c.req.raw.body ?? []) as AsyncIterable<Uint8Array>, size))) {
            answer.Connection = 'close'
          }
          return c.body(null, 200, answer)
        }
        sendContinue(c.env)
        const body = slot.count((c.req.raw.body ?? []) as AsyncIterable<Uint8Array>)
        const { created } = await cradle.blobs.put(digest, size, body, { signal })
        // Already stored: the body was not read. A small one is read off so the connection can serve
        // the next request; for a larger one the connection is closed after the answer (else the
        // adapter would drain it for a while, then cut a connection it announced as kept alive).
        if (!created && !(await discarded(body, size))) answer.Connection = 'close'
        return c.body(null, created ? 201 : 200, answer)
      } finally {
        slot.release()
      }
    })
    .openapi({ ...remove, middleware: [auth] as const }, async (c) => {
      const digest = parseDigest(c.req.param('digest'))
      await cradle.blobs.delete(digest, { signal: c.req.raw.signal })
      return c.body(null, 204)
    })
}

/** Reads `body` to its end and drops it when it is at most {@link MAX_DISCARDED_BODY}; answers whether it did. */
async function discarded(body: AsyncIterable<Uint8Array>, size: number): Promise<boolean> {
  if (size > MAX_DISCARDED_BODY) return false
  try {
    for await (const _chunk of body) {
      // dropped
    }
    return true
  } catch {
    return false
  }
}

/** @throws {HttpError} `400 BadRequest` when `Content-Length` is missing or not a decimal integer. */
function contentLength(value: string | null): number {
  const size = value !== null && /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(size))
    throw new HttpError(400, 'BadRequest', 'content-length required (no chunked uploads)')
  return size
}
