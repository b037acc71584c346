/**
 * Content references: what a label points at. A reference is a CID (any version and codec: a CAR's
 * root, a block, a raw blob `bafkrei…`) or a blob's bare multihash. As text, a CID is its usual
 * string (`bafy…`, `Qm…`) and a multihash is base58btc multibase (`zQm…`), as blob URLs write it;
 * any other multibase is read too.
 * @packageDocumentation
 */
import { base58btc } from 'multiformats/bases/base58'
import { bases } from 'multiformats/basics'
import { CID } from 'multiformats/cid'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { InvalidRefError } from '../errors.js'

/** What a label points at: a CID, or a blob's multihash. */
export type ContentRef = CID | MultihashDigest

/** The longest reference text accepted, in characters. */
const MAX_REF_TEXT = 1024
const CIDV0 = /^Qm[1-9A-HJ-NP-Za-km-z]{44}$/
const DECODERS: ReadonlyMap<string, { decode(text: string): Uint8Array }> = new Map(
  Object.values(bases)
    .filter((base) => base.name !== 'identity' && base.name !== 'base256emoji')
    .map((base) => [base.prefix as string, base]),
)

/** Whether a reference is a CID (else it is a bare multihash). */
export function isCid(ref: ContentRef): ref is CID {
  return CID.asCID(ref) !== null
}

/**
 * Checks a reference given by a library caller, answering it as a `CID` of this package's
 * multiformats or a decoded multihash.
 * @throws {InvalidRefError} neither a CID nor a multihash.
 */
export function asRef(ref: ContentRef): ContentRef {
  const cid = CID.asCID(ref)
  if (cid !== null) return cid
  const bytes = (ref as { bytes?: unknown } | null)?.bytes
  if (!(bytes instanceof Uint8Array)) throw new InvalidRefError(String(ref), 'not a CID or a multihash')
  try {
    return decodeDigest(bytes)
  } catch (error) {
    throw new InvalidRefError(String(ref), 'not a well-formed multihash', { cause: error })
  }
}

/**
 * Parses a reference: a CID (`bafy…`, `Qm…`, any multibase CIDv1) or a multibase multihash
 * (`zQm…`, `bciq…`, …).
 * @throws {InvalidRefError} anything else (with the reason).
 */
export function parseRef(text: string): ContentRef {
  if (typeof text !== 'string' || text.length === 0) throw new InvalidRefError(String(text), 'empty')
  if (text.length > MAX_REF_TEXT) throw new InvalidRefError(text, `longer than ${MAX_REF_TEXT} characters`)
  if (CIDV0.test(text)) {
    try {
      return CID.parse(text)
    } catch (error) {
      throw new InvalidRefError(text, 'not a CIDv0', { cause: error })
    }
  }
  const decoder = DECODERS.get(text.charAt(0))
  if (decoder === undefined) throw new InvalidRefError(text, 'not a CID or a multibase multihash')
  let bytes: Uint8Array
  try {
    bytes = decoder.decode(text)
  } catch (error) {
    throw new InvalidRefError(text, 'not decodable in its multibase', { cause: error })
  }
  try {
    return bytes[0] === 0x01 ? CID.decode(bytes) : decodeDigest(bytes)
  } catch (error) {
    throw new InvalidRefError(text, bytes[0] === 0x01 ? 'not a CID' : 'not a multihash', { cause: error })
  }
}

/** A reference as text: a CID's string form, a multihash's base58btc (`zQm…`). */
export function formatRef(ref: ContentRef): string {
  return isCid(ref) ? ref.toString() : base58btc.encode(ref.bytes)
}

/** Whether two references are the same (same kind, same bytes). */
export function sameRef(a: ContentRef, b: ContentRef): boolean {
  const aCid = isCid(a)
  if (aCid !== isCid(b)) return false
  return aCid ? a.equals(b) : bytesEqual(a.bytes, b.bytes)
}

/** The multihash a reference names: the CID's, or the reference itself. */
export function refDigest(ref: ContentRef): MultihashDigest {
  return isCid(ref) ? ref.multihash : ref
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
