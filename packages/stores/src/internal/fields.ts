/**
 * Field checkers and the DID / multihash codecs shared by the record codecs. Stored bytes are
 * untrusted: every checker throws a `TypeError` naming the field when a value has the wrong shape,
 * which `GenericStore` reports as a `DecodeError` (or an `EncodeError` on the way in).
 */

import { DID as DIDCodec } from '@ucanto/core'
import type { DID, UnknownLink } from '@ucanto/interface'
import type { MultihashDigest } from 'multiformats'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'

/** A plain IPLD map: an object that is not an array, bytes or a CID. */
export function asMap(value: unknown, field: string): Record<string, unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    value instanceof Uint8Array ||
    CID.asCID(value) !== null
  ) {
    throw new TypeError(`${field}: expected a map`)
  }
  return value as Record<string, unknown>
}

/** Bytes (a CBOR byte string). */
export function asBytes(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${field}: expected bytes`)
  return value
}

/** A string. */
export function asString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new TypeError(`${field}: expected a string`)
  return value
}

/**
 * A non-negative safe integer (sizes and unix times; Piri stores them as uint64, so a negative value
 * never comes from a valid record, and values past 2^53 cannot be held exactly by a JS number).
 */
export function asUint(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${field}: expected a non-negative integer, got ${String(value)}`)
  }
  return value
}

/** A CID (any multiformats version), answered as this package's `CID`. */
export function asLink(value: unknown, field: string): CID {
  const cid = CID.asCID(value)
  if (cid === null) throw new TypeError(`${field}: expected a CID link`)
  return cid
}

/** Reads an own field of a decoded map; a missing field is `undefined`. */
export function read(map: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(map, name) ? map[name] : undefined
}

/**
 * A DID as ucanto encodes it in IPLD (`DID.encode`): for `did:key` the multicodec-tagged public
 * key bytes, for any other method varint `0x0d1d` followed by the UTF-8 text after `did:`.
 * @throws {TypeError} when `did` is not a DID string.
 */
export function encodeDid(did: string, field: string): Uint8Array {
  try {
    const view = DIDCodec.parse(did)
    // A plain Uint8Array: the view is a subclass, which CBOR encoders need not accept.
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice()
  } catch (cause) {
    throw new TypeError(`${field}: not a DID: ${JSON.stringify(did)}`, { cause })
  }
}

/**
 * The DID string encoded by {@link encodeDid}.
 * @throws {TypeError} when the bytes are not a ucanto-encoded DID.
 */
export function decodeDid(value: unknown, field: string): DID {
  const bytes = asBytes(value, field)
  try {
    return DIDCodec.decode(bytes).did()
  } catch (cause) {
    throw new TypeError(`${field}: bytes are not an encoded DID`, { cause })
  }
}

/**
 * A multihash from its bytes.
 * @throws {TypeError} when the bytes are not a well-formed multihash.
 */
export function decodeDigest(value: unknown, field: string): MultihashDigest {
  const bytes = asBytes(value, field)
  try {
    return Digest.decode(bytes)
  } catch (cause) {
    throw new TypeError(`${field}: bytes are not a multihash`, { cause })
  }
}

/** The base58btc multibase text of a multihash (`z…`), as Piri's `digestutil.Format`. */
export function formatDigest(digest: MultihashDigest): string {
  return base58btc.encode(digest.bytes)
}

/** The string form of a link used in keys (`CID.toString()`: base32 for v1, base58btc for v0). */
export function formatLink(link: UnknownLink): string {
  return asLink(link, 'link').toString()
}
