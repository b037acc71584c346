/**
 * The JSON body `{ space, blob: { digest, size }, cause? }` shared by `POST /allocations` and
 * `POST /acceptances`: its schema (validated by the routes, described in the OpenAPI document) and
 * what it decodes to.
 * @packageDocumentation
 */
import type { Allocation } from '@strata/stores/allocation'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { sha256 } from 'multiformats/hashes/sha2'
import { badRequest } from '../../errors.js'
import { z } from '../openapi.js'
import { parseDigest } from '../protocol/digest.js'

/** A DID string: `did:<method>:<id>`; for `did:key`, `<id>` must be base58btc (`z…`). */
export const DidSchema = z
  .string()
  .refine(
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
  .openapi({ example: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' })

/** The JSON body of `POST /allocations` and `POST /acceptances`. */
export const BlobRequestSchema = z
  .strictObject({
    space: DidSchema,
    blob: z.strictObject({
      digest: z
        .string({ error: 'expected a multibase multihash or CID string' })
        .openapi({ example: 'zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4' }),
      size: z
        .number({ error: 'expected a number' })
        .int({ error: 'expected an integer' })
        .min(0, { error: 'expected a non-negative integer' })
        .max(Number.MAX_SAFE_INTEGER, { error: 'expected a safe integer' }),
    }),
    cause: z.string({ error: 'expected a CID string' }).optional(),
  })
  .openapi('BlobRequest')

/** A decoded `{ space, blob: { digest, size }, cause? }` request body. */
export interface BlobRequest {
  space: Allocation['space']
  digest: MultihashDigest
  size: number
  /** The given `cause` CID, if any. */
  cause: CID | undefined
}

/**
 * Decodes a validated body: the digest (any multibase multihash or CID) and the cause CID.
 * @throws {HttpError} `400 InvalidDigestError` for an undecodable `blob.digest`, `400 BadRequest`
 *   for a `cause` that is not a CID.
 */
export function decodeBlobRequest(body: z.infer<typeof BlobRequestSchema>): BlobRequest {
  const { space, blob, cause } = body
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
