import { createHash, type Hash } from 'node:crypto'
import type { Body } from '@strata/objectstore'
import { exactly } from '@strata/objectstore/body'
import { equals } from 'multiformats/bytes'
import { create as createDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { DigestMismatchError } from './errors.js'
import type { HashFunction } from './hashes.js'

/** Chunks at least this large are hashed while the backend writes them; smaller ones inline. */
const DEFER_THRESHOLD = 64 * 1024

/** How a hashing body ended, read by the blob store after the backend settles. */
export interface HashingState {
  /** The digest of the whole body, once it has all arrived (and, when verifying, matched). */
  digest?: MultihashDigest
  /** The body arrived whole and, when an expected digest was given, hashed to it. */
  verified: boolean
  /** The number of bytes that went through. */
  bytes: number
  /** Why the body failed (size, digest, abort or source error), once it has. */
  failure?: unknown
}

/**
 * Wraps `body` in a stream that counts it against `size` (`undefined`: any length) and hashes it
 * while the backend consumes it. With an `expected` digest it FAILS AT THE END OF THE INPUT, before
 * completing:
 *
 * - the last chunk is held back until the digest has been checked, so a backend never receives
 *   all of a blob that does not verify;
 * - the final `next()` rejects (with `DigestMismatchError`, `TooSmallError`, ...) instead of
 *   answering `done`, so a backend that commits only once its body iterator completes (flatfs
 *   renames, memory sets, S3 completes the multipart upload) never commits a bad blob.
 *
 * Hashing overlaps the backend's I/O: each large chunk is hashed on the next turn of the event
 * loop, after it has been handed to the backend, i.e. while the backend's write of it runs in
 * the thread pool or on the socket, instead of before the write starts. Chunks must not be
 * modified after they are yielded (a chunk is hashed after the backend received it).
 * @throws {TooLargeError | TooSmallError} the body's length is not `size` (checked first).
 * @throws {DigestMismatchError} the bytes do not hash to `expected`.
 */
export function hashing(
  body: Body,
  size: number | undefined,
  hash: HashFunction,
  options: { expected?: MultihashDigest; signal?: AbortSignal | undefined; limit?: number } = {},
): { stream: AsyncGenerator<Uint8Array>; state: HashingState } {
  const { expected, signal, limit } = options
  const state: HashingState = { verified: false, bytes: 0 }
  async function* stream(): AsyncGenerator<Uint8Array> {
    const hasher = createHash(hash.algorithm)
    let pending: Promise<void> = Promise.resolve()
    try {
      let held: Uint8Array | undefined
      for await (const chunk of exactly(body, size, signal, limit)) {
        state.bytes += chunk.byteLength
        if (held !== undefined) {
          await pending
          pending = update(hasher, held)
          yield held
        }
        held = chunk
      }
      await pending
      if (held !== undefined) hasher.update(held)
      const actual = createDigest(hash.code, hasher.digest())
      if (expected !== undefined && !equals(actual.digest, expected.digest)) {
        throw new DigestMismatchError(expected, actual)
      }
      state.digest = actual
      state.verified = true
      if (held !== undefined) yield held
    } catch (error) {
      state.failure = error
      throw error
    } finally {
      // A consumer that stops early leaves a deferred update behind: never let it reject unhandled.
      pending.catch(() => {})
    }
  }
  return { stream: stream(), state }
}

/** Hashes `chunk` now when small, else on the next event-loop turn (after the backend took it). */
function update(hasher: Hash, chunk: Uint8Array): Promise<void> {
  if (chunk.byteLength < DEFER_THRESHOLD) {
    hasher.update(chunk)
    return Promise.resolve()
  }
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        hasher.update(chunk)
        resolve()
      } catch (error) {
        reject(error)
      }
    })
  })
}
