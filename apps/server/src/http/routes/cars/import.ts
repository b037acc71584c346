import type { CarStore, ImportResult } from '@strata/car'
import { checkDid, type OwnerStore } from '@strata/stores/owner'
import type { MiddlewareHandler } from 'hono'
import { base58btc } from 'multiformats/bases/base58'
import { HttpError } from '../../../errors.js'
import { bearerAuth } from '../../middleware/bearer.js'
import { createRoute, createRouter, errorContent, z } from '../../openapi.js'
import { parseContentDigest } from '../../protocol/content-digest.js'
import { CAR_CONTENT_TYPE } from '../car-answer.js'
import { blobLocation } from '../context.js'

/** Options for {@link carImportRoutes}. */
export interface CarImportRoutesOptions {
  cars: CarStore
  /** Where `?owner=<did>` records the imported CAR as the owner's (its membership keeps it from GC). */
  owners: Pick<OwnerStore, 'add'>
  /** The bearer token, read at each request. */
  authToken: () => string
  /** The largest CAR accepted, in bytes (`server.maxBlobSize`). */
  maxSize: number
  /** The node's public base URL (the `Location` of the stored CAR blob). */
  publicUrl: string
}

const ImportedSchema = z
  .object({
    digest: z.string().openapi({ description: 'The CAR blob: its sha2-256 multihash, base58btc (z…)' }),
    size: z.number().int(),
    roots: z.array(z.string()).openapi({ description: 'The CIDs in its header, in order' }),
    blocks: z.number().int().openapi({ description: 'Block sections (duplicates counted)' }),
    index: z.string().openapi({ description: 'The CID of its index/sharded/dag@0.1 archive (a blob)' }),
  })
  .openapi('CarImport')

const binary = { schema: z.string().openapi({ format: 'binary' }) }
const imported = { 'application/json': { schema: ImportedSchema } }

const importCar = createRoute({
  method: 'post',
  path: '/car',
  summary: 'Import a CARv1: stored as a blob, every block verified, its blocks indexed',
  description:
    'The body streams (Content-Length, or chunked). An optional `Content-Digest: sha-256=:<base64>:` ' +
    '(RFC 9530) is checked. All or nothing: on any error nothing is stored.',
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      owner: z.string().optional().openapi({
        description: 'A DID that then holds the CAR (strata owner stat / wipe)',
        example: 'did:plc:abc',
      }),
    }),
    body: { required: true, content: { [CAR_CONTENT_TYPE]: binary } },
  },
  responses: {
    200: { description: 'Already imported; nothing written', content: imported },
    201: { description: 'Imported; Location: the CAR blob', content: imported },
    400: errorContent(
      'Malformed CAR (with the byte offset), unsupported block hash, bad Content-Digest, owner not a DID',
    ),
    401: errorContent('Missing or wrong bearer token'),
    409: errorContent(
      'A block does not hash to its CID (names it), the CAR to its Content-Digest, or the CAR is being collected',
    ),
    411: errorContent('Content-Digest without Content-Length'),
    413: errorContent('Over server.maxBlobSize, or a block / header over its limit'),
  },
})

/**
 * A failed import leaves the rest of its body unread (up to `server.maxBlobSize`): the connection
 * is closed after the error answer instead of being drained.
 */
const closeOnError: MiddlewareHandler = async (c, next) => {
  await next()
  if (c.error !== undefined) c.res.headers.set('Connection', 'close')
}

/** `POST /car` (bearer): the CAR importer. Small on purpose: parameters go into `importCar`'s options. */
export function carImportRoutes(options: CarImportRoutesOptions) {
  const { cars, owners, maxSize, publicUrl } = options
  return createRouter().openapi(
    { ...importCar, middleware: [closeOnError, bearerAuth(options.authToken)] as const },
    async (c) => {
      const size = declaredSize(c.req.header('content-length'), maxSize)
      const digest = parseContentDigest(c.req.header('content-digest'))
      if (digest !== undefined && size === undefined) {
        throw new HttpError(411, 'LengthRequired', 'content-digest is checked only with a content-length')
      }
      // checked before anything is read or stored
      const owner = ownerOf(c.req.query('owner'))
      const signal = c.req.raw.signal
      const body = atMost((c.req.raw.body ?? []) as AsyncIterable<Uint8Array>, maxSize)
      const result = await cars.importCar(body, {
        signal,
        ...(size === undefined ? {} : { size }),
        ...(digest === undefined ? {} : { digest }),
      })
      // The CAR is stored, nothing points at it yet: the membership is the pointer, confirmed with GC.
      if (owner !== undefined)
        await owners.add(owner, { digest: result.digest, size: result.size }, { signal })
      const z = base58btc.encode(result.digest.bytes)
      return c.json(answerOf(result, z), result.created ? 201 : 200, {
        Location: blobLocation(publicUrl, z),
      })
    },
  )
}

/** The `owner` query parameter, checked. @throws {InvalidDidError} (400) */
function ownerOf(owner: string | undefined): string | undefined {
  return owner === undefined ? undefined : checkDid(owner)
}

/** The JSON answer of an import. */
function answerOf(result: ImportResult, z: string): z.infer<typeof ImportedSchema> {
  return {
    digest: z,
    size: result.size,
    roots: result.roots.map(String),
    blocks: result.blocks,
    index: result.index.toString(),
  }
}

/**
 * The `Content-Length`, or `undefined` for a chunked body.
 * @throws {HttpError} `400 BadRequest` for a malformed one, `413 TooLargeError` over `max` (the body
 *   is not read).
 */
function declaredSize(header: string | undefined, max: number): number | undefined {
  if (header === undefined) return undefined
  const size = /^\d{1,16}$/.test(header) ? Number(header) : Number.NaN
  if (!Number.isSafeInteger(size)) throw new HttpError(400, 'BadRequest', 'content-length: expected bytes')
  if (size > max) {
    throw new HttpError(413, 'TooLargeError', `CAR of ${size} bytes exceeds the limit of ${max} bytes`)
  }
  return size
}

/**
 * `body`, failing with `413 TooLargeError` as soon as more than `max` bytes have come (a chunked
 * body is never read past the limit; a declared one was checked before).
 */
async function* atMost(body: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let seen = 0
  for await (const chunk of body) {
    seen += chunk.byteLength
    if (seen > max) throw new HttpError(413, 'TooLargeError', `CAR exceeds the limit of ${max} bytes`)
    yield chunk
  }
}
