import { equals } from 'multiformats/bytes'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { InvalidDigestError, UnsupportedHashError } from './errors.js'

/** A hash function the blob store verifies with `node:crypto`. */
export interface HashFunction {
  /** Multicodec code (0x12 sha2-256, 0x13 sha2-512). */
  readonly code: number
  /** Multicodec name, e.g. `sha2-256`. */
  readonly name: string
  /** The `node:crypto` algorithm, e.g. `sha256`. */
  readonly algorithm: string
  /** Digest length in bytes. */
  readonly size: number
}

/** The hash functions `put` can verify, by multihash code. */
export const HASH_FUNCTIONS: ReadonlyMap<number, HashFunction> = new Map(
  [
    { code: 0x12, name: 'sha2-256', algorithm: 'sha256', size: 32 },
    { code: 0x13, name: 'sha2-512', algorithm: 'sha512', size: 64 },
  ].map((fn) => [fn.code, fn]),
)

/**
 * Checks that `digest` is well formed and verifiable, and answers it canonically (decoded from its
 * `bytes`, which is what keys are made of) with its hash function. Reads nothing.
 * @throws {UnsupportedHashError} the hash function is not in {@link HASH_FUNCTIONS}.
 * @throws {InvalidDigestError} the digest's length is wrong for its hash function, or its fields
 *   disagree with its `bytes`.
 */
export function verifiable(digest: MultihashDigest): { digest: MultihashDigest; hash: HashFunction } {
  let canonical: MultihashDigest
  try {
    canonical = decodeDigest(digest.bytes)
  } catch (error) {
    throw new InvalidDigestError(digest.code, 'bytes are not a multihash', { cause: error })
  }
  if (canonical.code !== digest.code || !equals(canonical.digest, digest.digest)) {
    throw new InvalidDigestError(digest.code, 'code or digest disagree with bytes')
  }
  const hash = HASH_FUNCTIONS.get(canonical.code)
  if (hash === undefined) {
    throw new UnsupportedHashError(
      canonical.code,
      [...HASH_FUNCTIONS.values()].map((fn) => `${fn.name} (0x${fn.code.toString(16)})`),
    )
  }
  if (canonical.size !== hash.size) {
    throw new InvalidDigestError(
      canonical.code,
      `${hash.name} digests are ${hash.size} bytes, not ${canonical.size}`,
    )
  }
  return { digest: canonical, hash }
}
