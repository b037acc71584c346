import type { SignatureV4 } from '@smithy/signature-v4'
import type { MultihashDigest } from '@strata/blobstore'
import { type Context, Hono } from 'hono'
import { base58btc } from 'multiformats/bases/base58'
import type { Cradle } from '../container/index.js'
import { loadIdentity, type NodeIdentity } from '../identity/index.js'
import { bearerAuth } from './bearer.js'
import { carRoutes } from './car-routes.js'
import { etagOf, parseDigest } from './digest.js'
import { errorHandler, HttpError } from './errors.js'
import { journalRoutes } from './journal-routes.js'
import { checksumOf, createSigner, presignUpload, verifyPresigned } from './presign.js'
import { type BlobRequest, derivedCause, jsonBody, readBlobRequest } from './write-bodies.js'

/** The multicodec of sha2-256: the only hash function uploads can be allocated for. */
const SHA2_256 = 0x12

/** Options for {@link writeRoutes}. */
export interface WriteRoutesOptions {
  /** The started container's cradle (stores, keystore, journal, config, auth token, logger). */
  cradle: Cradle
  /** The node's public base URL, no trailing slash (`http://127.0.0.1:3000`): presigned URLs and locations. */
  publicUrl: string
  /**
   * The node identity; default: {@link loadIdentity} from `cradle.keystore` at the first request
   * that needs it (generated and stored on first use).
   */
  identity?: NodeIdentity | Promise<NodeIdentity>
  /** The clock, in milliseconds (for tests). Default `Date.now`. */
  now?: () => number
}

/**
 * The write path and the record downloads, as a hono app to mount with `app.route('/', …)`.
 * See `README.md` (HTTP API: uploads and records) for every status and header.
 *
 * - `POST /allocations` (bearer): allocate a blob for a space; answers a presigned upload URL.
 * - `PUT /blob/:digest` (presigned URL only): streams the body through digest and size checks.
 * - `POST /acceptances` (bearer): records that a stored, allocated blob is accepted for a space.
 * - `DELETE /blob/:digest` (bearer): idempotent, 204.
 * - `GET /claim/:cid`, `GET /receipts/:cid`: a delegation's CAR, a retrieval journal batch CAR.
 * - `POST /receipts` (bearer): appends a retrieval receipt to the journal.
 *
 * Errors answer `{ error: { name, message } }` from the one status table; 401 `Unauthorized` for a
 * missing/wrong bearer token or an invalid/expired presigned URL, 403 `Forbidden` without a live
 * allocation. No route buffers a blob body.
 */
export function writeRoutes(options: WriteRoutesOptions): Hono {
  const { cradle } = options
  const now = options.now ?? Date.now
  const publicUrl = options.publicUrl.replace(/\/+$/, '')
  let pending = options.identity === undefined ? undefined : Promise.resolve(options.identity)
  let signing: { identity: NodeIdentity; signer: SignatureV4 } | undefined
  const signerOf = async () => {
    pending ??= loadIdentity(cradle.keystore).catch((error: unknown) => {
      pending = undefined
      throw error
    })
    const identity = await pending
    if (signing?.identity !== identity) signing = { identity, signer: createSigner(identity.credentials) }
    return signing
  }
  const locationOf = (digest: MultihashDigest) => `${publicUrl}/blob/${base58btc.encode(digest.bytes)}`

  const app = new Hono()
  app.onError(errorHandler({ logger: cradle.logger }))
  const auth = bearerAuth(() => cradle.authToken)

  app.post('/allocations', auth, jsonBody, async (c) => {
    const request = await readBlobRequest(c)
    const { digest, size } = request
    if (digest.code !== SHA2_256) {
      throw new HttpError(400, 'UnsupportedHashError', 'blob.digest: only sha2-256 digests can be allocated')
    }
    checkSize(size, cradle.config.server.maxBlobSize)
    const issued = now()
    const expiresIn = cradle.config.server.presignExpiresIn
    const expires = Math.floor(issued / 1000) + expiresIn
    const cause = request.cause ?? (await derivedCause('allocate', request))
    const signal = c.req.raw.signal
    const stored = await cradle.blobs.has(digest, { signal })
    await cradle.allocations.put({ space: request.space, blob: { digest, size }, expires, cause }, { signal })
    if (stored) return c.json({ allocated: false }, 200)
    const { signer } = await signerOf()
    const upload = await presignUpload(signer, {
      url: new URL(locationOf(digest)),
      size,
      checksum: checksumOf(digest),
      signingDate: new Date(issued),
      expiresIn,
    })
    return c.json({ allocated: true, ...upload, expiresAt: new Date(expires * 1000).toISOString() }, 201)
  })

  app.put('/blob/:digest', async (c) => {
    const digest = parseDigest(c.req.param('digest'))
    const { identity, signer } = await signerOf()
    const current = now()
    const headers = c.req.raw.headers
    await verifyPresigned(signer, identity.credentials, {
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
    await requireAllocation(c, digest, Math.floor(current / 1000))
    const body = (c.req.raw.body ?? []) as AsyncIterable<Uint8Array>
    const { created } = await cradle.blobs.put(digest, size, body, { signal: c.req.raw.signal })
    const answer: Record<string, string> = { ETag: etagOf(digest), Location: locationOf(digest) }
    // Already stored: the body was not read. A small one is read off so the connection can serve
    // the next request; for a larger one the connection is closed after the answer (else the
    // adapter would drain it for a while, then cut a connection it announced as kept alive).
    if (!created && !(await discarded(body, size))) answer.Connection = 'close'
    return c.body(null, created ? 201 : 200, answer)
  })

  async function requireAllocation(c: Context, digest: MultihashDigest, seconds: number): Promise<void> {
    try {
      await cradle.allocations.getAnyNonExpired(digest, seconds, { signal: c.req.raw.signal })
    } catch (error) {
      if (!isNotFound(error)) throw error
      throw new HttpError(403, 'Forbidden', `no live allocation for blob ${base58btc.encode(digest.bytes)}`)
    }
  }

  app.post('/acceptances', auth, jsonBody, async (c) => {
    const request = await readBlobRequest(c)
    const { digest, size, space } = request
    const signal = c.req.raw.signal
    const z = base58btc.encode(digest.bytes)
    if (!(await cradle.blobs.has(digest, { signal }))) {
      throw new HttpError(404, 'NotFoundError', `blob ${z} is not stored`)
    }
    const allocation = await allocationFor(request, signal)
    if (allocation.blob.size !== size) {
      throw badSize(size, allocation.blob.size)
    }
    const cause = request.cause ?? (await derivedCause('accept', request))
    const executedAt = Math.floor(now() / 1000)
    await cradle.acceptances.put({ space, blob: { digest, size }, executedAt, cause }, { signal })
    const location = locationOf(digest)
    return c.json({ location }, 201, { Location: location })
  })

  async function allocationFor(request: BlobRequest, signal: AbortSignal) {
    try {
      return await cradle.allocations.get(request.digest, request.space, { signal })
    } catch (error) {
      if (!isNotFound(error)) throw error
      const z = base58btc.encode(request.digest.bytes)
      throw new HttpError(403, 'Forbidden', `blob ${z} is not allocated for ${request.space}`)
    }
  }

  app.delete('/blob/:digest', auth, async (c) => {
    const digest = parseDigest(c.req.param('digest'))
    await cradle.blobs.delete(digest, { signal: c.req.raw.signal })
    return c.body(null, 204)
  })

  app.route('/', carRoutes({ claims: cradle.claims, journal: cradle.journal, logger: cradle.logger }))
  app.route('/', journalRoutes({ journal: cradle.journal, auth, logger: cradle.logger }))
  return app
}

/** The most bytes of an already-stored blob's body read off (and dropped) to keep the connection. */
export const MAX_DISCARDED_BODY = 1024 * 1024

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

function isNotFound(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'NotFoundError'
}

function badSize(given: number, allocated: number): HttpError {
  return new HttpError(400, 'BadRequest', `blob.size: ${given} is not the allocated size ${allocated}`)
}

/** @throws {HttpError} `413 TooLargeError` over the configured limit. */
function checkSize(size: number, max: number): void {
  if (size > max) {
    throw new HttpError(413, 'TooLargeError', `blob of ${size} bytes exceeds the limit of ${max} bytes`)
  }
}

/** @throws {HttpError} `400 BadRequest` when `Content-Length` is missing or not a decimal integer. */
function contentLength(value: string | null): number {
  const size = value !== null && /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(size))
    throw new HttpError(400, 'BadRequest', 'content-length required (no chunked uploads)')
  return size
}
