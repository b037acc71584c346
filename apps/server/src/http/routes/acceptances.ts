import type { IOOptions } from '@strata/objectstore'
import { base58btc } from 'multiformats/bases/base58'
import { HttpError } from '../../errors.js'
import { bearerAuth } from '../middleware/bearer.js'
import { jsonBody } from '../middleware/json-body.js'
import { createRoute, createRouter, errorContent, z } from '../openapi.js'
import { type BlobRequest, BlobRequestSchema, decodeBlobRequest, derivedCause } from './blob-request.js'
import { blobLocation, type RouteContext } from './context.js'

const AcceptedSchema = z.object({ location: z.string() }).openapi('Acceptance')

const accept = createRoute({
  method: 'post',
  path: '/acceptances',
  summary: 'Record that a stored, allocated blob is accepted for a space',
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: BlobRequestSchema } } } },
  responses: {
    201: {
      description: 'Accepted; Location: the blob URL',
      content: { 'application/json': { schema: AcceptedSchema } },
    },
    400: errorContent('Bad body (names the field), or a size other than the allocated one'),
    401: errorContent('Missing or wrong bearer token'),
    403: errorContent('The blob is not allocated for the space'),
    404: errorContent('The blob is not stored'),
    409: errorContent('The blob is being garbage-collected: upload it again and retry'),
    413: errorContent('Body over 64 KiB'),
    415: errorContent('Content-Type is not application/json'),
  },
})

/**
 * `POST /acceptances` (bearer): records the acceptance of a stored blob allocated for a space, and
 * the space's membership of the blob (`OwnerStore.add`: an owner is a space), checked against
 * garbage collection; an acceptance whose membership fails is removed again.
 */
export function acceptanceRoutes(context: RouteContext) {
  const { cradle, publicUrl, now } = context
  const auth = bearerAuth(() => cradle.authToken)

  async function allocationFor(request: BlobRequest, options: IOOptions) {
    try {
      return await cradle.allocations.get(request.digest, request.space, options)
    } catch (error) {
      if ((error as { name?: unknown }).name !== 'NotFoundError') throw error
      const z = base58btc.encode(request.digest.bytes)
      throw new HttpError(403, 'Forbidden', `blob ${z} is not allocated for ${request.space}`)
    }
  }

  return createRouter().openapi({ ...accept, middleware: [auth, jsonBody] as const }, async (c) => {
    const request = decodeBlobRequest(c.req.valid('json'))
    const { digest, size, space } = request
    const signal = c.req.raw.signal
    const z = base58btc.encode(digest.bytes)
    if (!(await cradle.blobs.has(digest, { signal })))
      throw new HttpError(404, 'NotFoundError', `blob ${z} is not stored`)
    const allocation = await allocationFor(request, { signal })
    if (allocation.blob.size !== size) {
      throw new HttpError(
        400,
        'BadRequest',
        `blob.size: ${size} is not the allocated size ${allocation.blob.size}`,
      )
    }
    const cause = request.cause ?? (await derivedCause('accept', request))
    const executedAt = Math.floor(now() / 1000)
    await cradle.acceptances.put({ space, blob: { digest, size }, executedAt, cause }, { signal })
    // The space holds the blob: its membership, confirmed against garbage collection (undone on failure)
    try {
      await cradle.owners.add(space, { digest, size }, { signal })
    } catch (error) {
      await cradle.acceptances.delete(digest, space).catch(() => {})
      throw error
    }
    const location = blobLocation(publicUrl, z)
    return c.json({ location }, 201, { Location: location })
  })
}
