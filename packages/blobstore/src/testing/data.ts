import { createHash, randomBytes } from 'node:crypto'
import { base58btc } from 'multiformats/bases/base58'
import { create as createDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'

/** sha2-256 multihash code. */
export const SHA2_256 = 0x12
/** sha2-512 multihash code. */
export const SHA2_512 = 0x13

const ALGORITHMS: Record<number, string> = { [SHA2_256]: 'sha256', [SHA2_512]: 'sha512' }

function algorithmOf(code: number): string {
  const algorithm = ALGORITHMS[code]
  if (algorithm === undefined) throw new Error(`no test hasher for code 0x${code.toString(16)}`)
  return algorithm
}

/**
 * The multihash digest of `bytes` (sha2-256 by default).
 * @throws {Error} for a code other than sha2-256 / sha2-512.
 */
export function digestOf(bytes: Uint8Array, code = SHA2_256): MultihashDigest {
  return createDigest(code, createHash(algorithmOf(code)).update(bytes).digest())
}

/**
 * The multihash digest of a stream, hashed chunk by chunk (never held whole).
 * @throws {Error} for a code other than sha2-256 / sha2-512.
 */
export async function digestOfStream(
  body: AsyncIterable<Uint8Array>,
  code = SHA2_256,
): Promise<MultihashDigest> {
  const hash = createHash(algorithmOf(code))
  for await (const chunk of body) hash.update(chunk)
  return createDigest(code, hash.digest())
}

/** A body that fails the test if anything starts reading it. */
export function unreadable(): AsyncIterable<Uint8Array> & { touched: boolean } {
  const body = {
    touched: false,
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      body.touched = true
      throw new Error('this body must not be read')
    },
  }
  return body
}

/** A fresh random blob of `size` bytes and its sha2-256 (or `code`) digest. */
export function randomBlob(size: number, code = SHA2_256): { bytes: Uint8Array; digest: MultihashDigest } {
  const bytes = randomBytes(size)
  return { bytes, digest: digestOf(bytes, code) }
}

/** A digest as base58btc multibase text (`z…`), for comparisons and messages. */
export function digestText(digest: MultihashDigest): string {
  return base58btc.encode(digest.bytes)
}
