import { verifiable } from '@strata/blobstore'
import { base58btc } from 'multiformats/bases/base58'
import { bases } from 'multiformats/basics'
import { CID } from 'multiformats/cid'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { HttpError } from '../../errors.js'

/**
 * The longest `:digest` path segment accepted, in characters, whatever its multibase (a sha2-512
 * CIDv1 in base2, the most verbose, is ~570). Each multibase has its own, shorter bound
 * ({@link maxDigestTextLength}); both are checked before any decoding.
 */
export const MAX_DIGEST_TEXT_LENGTH = 1024

/**
 * The most bytes a digest in a path may decode to: a CIDv1 (version, codec, hash code, length) of
 * a 128-byte digest (Kubo's largest identity multihash) fits with room; a sha2-512 CIDv1 is ~70.
 */
export const MAX_DIGEST_BYTES = 160

/** Bits per character of a multibase, by name prefix (base10 and base36 rounded down). */
const BITS_PER_CHAR: ReadonlyArray<readonly [RegExp, number]> = [
  [/^base2$/, 1],
  [/^base8$/, 3],
  [/^base10$/, 3.32],
  [/^base16/, 4],
  [/^base32/, 5],
  [/^base36/, 5.16],
  [/^base58/, 5.85],
  [/^base64/, 6],
]

/**
 * The longest text of a digest in the multibase of `prefix`: its prefix plus {@link MAX_DIGEST_BYTES}
 * bytes in that base, plus padding; {@link MAX_DIGEST_TEXT_LENGTH} for an unknown prefix. A longer
 * text is refused before it is decoded (base58 and base36 decode in quadratic time).
 */
export function maxDigestTextLength(name: string): number {
  const bits = BITS_PER_CHAR.find(([pattern]) => pattern.test(name))?.[1] ?? 1
  return Math.min(MAX_DIGEST_TEXT_LENGTH, 1 + Math.ceil((MAX_DIGEST_BYTES * 8) / bits) + 8)
}

/** Every character any accepted multibase alphabet uses (base2 … base64url, with `=` padding). */
const CHARSET = /^[0-9A-Za-z+/=_-]+$/

/** A CIDv0: a base58btc sha2-256 multihash without multibase prefix (`Qm…`, 46 characters). */
const CIDV0 = /^Qm[1-9A-HJ-NP-Za-km-z]{44}$/

/** The multicodec of CIDv1 (the first byte of a binary CIDv1). */
const CID_V1 = 0x01

/**
 * Multibase decoders by prefix: every base of `multiformats/basics` except `identity` (prefix NUL,
 * raw bytes) and `base256emoji` (not URL-safe text).
 */
const DECODERS: ReadonlyMap<string, { decode(text: string): Uint8Array; maxLength: number; name: string }> =
  new Map(
    Object.values(bases)
      .filter((base) => base.name !== 'identity' && base.name !== 'base256emoji')
      .map((base) => [
        base.prefix as string,
        {
          decode: (text: string) => base.decode(text),
          maxLength: maxDigestTextLength(base.name),
          name: base.name,
        },
      ]),
  )

function invalid(text: string, reason: string, cause?: unknown): HttpError {
  const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text
  return new HttpError(400, 'InvalidDigestError', `invalid digest ${JSON.stringify(shown)}: ${reason}`, {
    cause,
  })
}

/**
 * Parses the `:digest` path segment (already percent-decoded) into a multihash. Accepted forms:
 * - any multibase-encoded multihash: `z…` (base58btc), `b…` (base32), `f…` (base16), `m…`/`u…`
 *   (base64/url), `k…` (base36), … — every base of `multiformats/basics` but identity and emoji;
 * - a CID, whose multihash is used: multibase CIDv1 (`bafk…`, `bafy…`, any codec) or CIDv0 (`Qm…`).
 *
 * Hash functions the blob store cannot verify are accepted (reads work for any multihash, e.g. a
 * blob Piri stored); a digest whose length is wrong for a known hash function is refused.
 * @throws {HttpError} `400 InvalidDigestError` for anything else: empty, longer than its
 *   multibase allows ({@link maxDigestTextLength}, checked before decoding), characters outside the multibase alphabets (`.`, `/`-only
 *   paths, `%`, NUL, spaces), unknown multibase prefix, undecodable text, trailing bytes.
 * @throws {InvalidDigestError} (from `@strata/blobstore`, also 400) the digest's length does not
 *   match its hash function.
 */
export function parseDigest(text: string): MultihashDigest {
  if (text.length === 0) throw invalid(text, 'empty')
  if (text.length > MAX_DIGEST_TEXT_LENGTH) {
    throw invalid(text, `longer than ${MAX_DIGEST_TEXT_LENGTH} characters`)
  }
  if (!CHARSET.test(text)) throw invalid(text, 'not multibase text')
  const digest = CIDV0.test(text) ? cidV0(text) : decodeBytes(text, multibase(text))
  try {
    verifiable(digest)
  } catch (error) {
    // Reads accept hash functions `put` cannot verify; a malformed digest is still refused.
    if ((error as { name?: unknown }).name !== 'UnsupportedHashError') throw error
  }
  return digest
}

function cidV0(text: string): MultihashDigest {
  try {
    return CID.parse(text).multihash
  } catch (error) {
    throw invalid(text, 'not a CIDv0', error)
  }
}

function multibase(text: string): Uint8Array {
  const decoder = DECODERS.get(text.charAt(0))
  if (decoder === undefined) throw invalid(text, `unknown multibase prefix ${JSON.stringify(text.charAt(0))}`)
  if (text.length > decoder.maxLength) {
    throw invalid(text, `longer than ${decoder.maxLength} characters for ${decoder.name}`)
  }
  try {
    return decoder.decode(text)
  } catch (error) {
    throw invalid(text, 'not decodable in its multibase', error)
  }
}

/** Binary CIDv1 (first byte 0x01, not a hash function code) or a bare multihash. */
function decodeBytes(text: string, bytes: Uint8Array): MultihashDigest {
  try {
    if (bytes[0] === CID_V1) return CID.decode(bytes).multihash
    return decodeDigest(bytes)
  } catch (error) {
    throw invalid(text, bytes[0] === CID_V1 ? 'not a CID' : 'not a multihash', error)
  }
}

/**
 * The blob's strong entity tag, whatever form the digest came in: `"z<base58btc multihash>"`, e.g.
 * `"zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4"` for sha2-256 of `hello world`.
 */
export function etagOf(digest: MultihashDigest): string {
  return `"${base58btc.encode(digest.bytes)}"`
}
