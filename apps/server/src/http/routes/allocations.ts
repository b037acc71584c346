import { base58btc } from 'multiformats/bases/base58'
import { HttpError } from '../../errors.js'
import { bearerAuth } from '../middleware/bearer.js'
import { jsonBody } from '../middleware/json-body.js'
import { createRoute, createRouter, errorContent, z } from '../openapi.js'
import { checksumOf, presignUpload } from '../protocol/presign.js'
import { BlobRequestSchema, decodeBlobRequest, derivedCause } from './blob-request.js'
import { blobLocation, type RouteContext } from './context.js'

/** The multicodec of sha2-256: the only hash function uploads can be allocated for. */
export const SHA2_256 = 0x12

const AllocatedSchema = z
  .object({
    allocated: z.boolean().openapi({ description: 'false: the blob is stored already, no upload needed' }),
    url: z.string().optional().openapi({ description: 'The presigned PUT URL' }),
    headers: z
      .object({ 'content-length': z.string(), 'x-amz-checksum-sha256': z.string() })
      .optional()
      .openapi({ description: 'Headers the upload must send verbatim' }),
    expiresAt: z.string().optional().openapi({ description: 'When the allocation and the URL expire' }),
  })
  .openapi('Allocation')

const allocate = createRoute({
  method: 'post',
  path: '/allocations',
  summary: 'Allocate a blob for a space; answers a presigned upload URL',
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: BlobRequestSchema } } } },
  responses: {
    200: {
      description: 'Already stored: allocated, no upload',
      content: { 'application/json': { schema: AllocatedSchema } },
    },
    201: {
      description: 'Allocated: upload to `url`',
      content: { 'application/json': { schema: AllocatedSchema } },
    },
    400: errorContent('Bad body (names the field), or a digest that is not sha2-256'),
    401: errorContent('Missing or wrong bearer token'),
    413: errorContent('Body over 64 KiB, or the blob over server.maxBlobSize'),
    415: errorContent('Content-Type is not application/json'),
    507: errorContent(
      'The blob would not fit on disk beside server.diskReserveBytes and the uploads in flight',
    ),
  },
})

/** @throws {HttpError} `413 TooLargeError` over the configured limit. */
export function checkSize(size: number, max: number): void {
  if (size > max)
    throw new HttpError(413, 'TooLargeError', `blob of ${size} bytes exceeds the limit of ${max} bytes`)
}

/**
 * `POST /allocations` (bearer): records an allocation of a blob for a space and, unless the blob is
 * stored already, answers a SigV4 presigned `PUT /blob/:digest` URL signed by the node identity.
 * A blob that would not fit on the blob store's disk (filesystem backend: free space minus
 * `server.diskReserveBytes` and what the uploads in flight have yet to write) is refused with
 * `507 InsufficientStorageError`, and nothing is recorded.
 */
export function allocationRoutes(context: RouteContext) {
  const { cradle, publicUrl, now } = context
  const auth = bearerAuth(() => cradle.authToken)
  return createRouter().openapi({ ...allocate, middleware: [auth, jsonBody] as const }, async (c) => {
    const request = decodeBlobRequest(c.req.valid('json'))
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
    if (!stored) await cradle.uploads.checkSpace(size)
    await cradle.allocations.put({ space: request.space, blob: { digest, size }, expires, cause }, { signal })
    if (stored) return c.json({ allocated: false }, 200)
    const upload = await presignUpload(cradle.signer, {
      url: new URL(blobLocation(publicUrl, base58btc.encode(digest.bytes))),
      size,
      checksum: checksumOf(digest),
      signingDate: new Date(issued),
      expiresIn,
      space: request.space,
    })
    return c.json({ allocated: true, ...upload, expiresAt: new Date(expires * 1000).toISOString() }, 201)
  })
}
