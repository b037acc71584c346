/**
 * `Content-Digest` (RFC 9530): a structured-field dictionary of algorithm → byte sequence, e.g.
 * `sha-256=:uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=:`, parsed with `structured-headers`
 * (RFC 8941 / 9651). strata checks `sha-256`, the digest its CARs and blobs are named by.
 * @packageDocumentation
 */

import { create as createDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { parseDictionary } from 'structured-headers'
import { badRequest } from '../../errors.js'

const SHA2_256 = 0x12

/**
 * The sha2-256 multihash a `Content-Digest` header states, or `undefined` when there is no header.
 * Other algorithms beside `sha-256` are ignored (RFC 9530 lets a recipient pick the one it checks).
 * @throws {HttpError} `400 BadRequest` when the header is not a structured dictionary, has no
 *   `sha-256` member, or that member is not a 32-byte byte sequence (`:base64:`).
 */
export function parseContentDigest(header: string | undefined): MultihashDigest | undefined {
  if (header === undefined) return undefined
  let members: ReturnType<typeof parseDictionary>
  try {
    members = parseDictionary(header)
  } catch (error) {
    throw badRequest('content-digest: expected sha-256=:<base64>: (RFC 9530)', { cause: error })
  }
  const member = members.get('sha-256')
  if (member === undefined) {
    throw badRequest('content-digest: no sha-256 member (the only algorithm strata checks)')
  }
  const value = member[0]
  if (!(value instanceof ArrayBuffer) || value.byteLength !== 32) {
    throw badRequest('content-digest: sha-256 must be a 32-byte byte sequence (:<base64>:)')
  }
  return createDigest(SHA2_256, new Uint8Array(value))
}
