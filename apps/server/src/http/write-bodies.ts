import type { Allocation } from '@strata/stores/allocation'
import type { Context, MiddlewareHandler } from 'hono'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { sha256 } from 'multiformats/hashes/sha2'
import { z } from 'zod'
import { limitBody } from './body-limit.js'
import { parseDigest } from './digest.js'
import { badRequest, HttpError } from './errors.js'

/** The largest JSON request body accepted: 64 KiB (an allocation or acceptance is under 1 KiB). */
export const MAX_JSON_BODY_BYTES = 64 * 1024

/** `application/json`, any case, with or without parameters (`; charset=utf-8`). */
const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i

const jsonLimit = limitBody(MAX_JSON_BODY_BYTES, 'body:')

/**
 * Guards a JSON route, before its body is read: 415 `UnsupportedMediaType` unless the request
 * says `Content-Type: application/json`, 413 `TooLargeError` for a body over
 * {@link MAX_JSON_BODY_BYTES} (declared or streamed: the body is never read past the limit).
 */
export const jsonBody: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type')
  if (type === undefined || !JSON_MEDIA_TYPE.test(type)) {
    throw new HttpError(415, 'UnsupportedMediaType', 'content-type: expected application/json')
  }
  return jsonLimit(c, next)
}

/** A DID string: `did:<method>:<id>`; for `did:key`, `<id>` must be base58btc (`z…`). */
const did = z.string().refine(
  (text) => {
    if (!/^did:[a-z0-9]+:[A-Za-z0-9._%:-]+$/.test(text)) return false
    if (!text.startsWith('did:key:')) return true
    try {
      return base58btc.decode(text.slice('did:key:'.length)).length > 2
    } catch {
      return false
    }
  },
  { error: 'expected a DID (did:key:z…)' },
)

/** The JSON body of `POST /allocations` and `POST /acceptances`. */
const blobRequestSchema = z.strictObject({
  space: did,
  blob: z.strictObject({
    digest: z.string({ error: 'expected a multibase multihash or CID string' }),
    size: z
      .number({ error: 'expected a number' })
      .int({ error: 'expected an integer' })
      .min(0, {
        error: 'expected a non-negative integer',
      })
      .max(Number.MAX_SAFE_INTEGER, { error: 'expected a safe integer' }),
  }),
  cause: z.string({ error: 'expected a CID string' }).optional(),
})

/** A parsed `{ space, blob: { digest, size }, cause? }` request body. */
export interface BlobRequest {
  space: Allocation['space']
  digest: MultihashDigest
  size: number
  /** The given `cause` CID, if any. */
  cause: CID | undefined
}

/**
 * Reads and validates the JSON body of the allocation / acceptance routes.
 * @throws {HttpError} `400 BadRequest` naming the field (`blob.size: expected an integer`), or
 *   `400 InvalidDigestError` for an undecodable `blob.digest`.
 */
export async function readBlobRequest(c: Context): Promise<BlobRequest> {
  let json: unknown
  try {
    json = await c.req.json()
  } catch (error) {
    throw badRequest('body: expected a JSON object', { cause: error })
  }
  const parsed = blobRequestSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.')
    throw badRequest(`${field}: ${issue?.message ?? 'invalid'}`)
  }
  const { space, blob, cause } = parsed.data
  let link: CID | undefined
  if (cause !== undefined) {
    try {
      link = CID.parse(cause)
    } catch (error) {
      throw badRequest(`cause: expected a CID, got ${JSON.stringify(cause.slice(0, 80))}`, { cause: error })
    }
  }
  return {
    space: space as Allocation['space'],
    digest: parseDigest(blob.digest),
    size: blob.size,
    cause: link,
  }
}

/** The multicodec of raw bytes. */
const RAW = 0x55

/**
 * The `cause` recorded when a request names none: a CIDv1 (raw, sha2-256) of the UTF-8 text
 * `strata/<what>/v1\n<space>\n<z digest>\n<size>`; deterministic, so a retried request records the
 * same cause.
 */
export async function derivedCause(what: 'allocate' | 'accept', request: BlobRequest): Promise<CID> {
  const text = `strata/${what}/v1\n${request.space}\n${base58btc.encode(request.digest.bytes)}\n${request.size}`
  return CID.createV1(RAW, await sha256.digest(new TextEncoder().encode(text)))
}
