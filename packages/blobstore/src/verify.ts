import { createHash, type Hash } from 'node:crypto'
import { type Body, exactly } from '@strata/objectstore'
import { equals } from 'multiformats/bytes'
import { create as createDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { DigestMismatchError } from './errors.js'
import type { HashFunction } from './hashes.js'

/** Chunks at least this large are hashed while the backend writes them; smaller ones inline. */
const DEFER_THRESHOLD = 64 * 1024

/** How a verifying body ended, read by `put` after the backend settles. */
export interface VerificationState {
  /** The whole body arrived, had the declared size and hashed to the expected digest. */
  verified: boolean
  /** Why verification failed (size, digest, abort or source error), once it has. */
  failure?: unknown
}

/**
 * Wraps `body` in a stream that checks its length against `size` and its hash against `expected`
 * while the backend consumes it, and FAILS AT THE END OF THE INPUT, before completing:
 *
 * - the last chunk is held back until the digest has been checked, so a backend never receives
 *   all `size` bytes of a blob that does not verify;
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
export function verifying(
  body: Body,
  size: number,
  expected: MultihashDigest,
  hash: HashFunction,
  signal?: AbortSignal,
): { stream: AsyncGenerator<Uint8Array>; state: VerificationState } {
  const state: VerificationState = { verified: false }
  async function* stream(): AsyncGenerator<Uint8Array> {
    const hasher = createHash(hash.algorithm)
    let hashing: Promise<void> = Promise.resolve()
    try {
      let held: Uint8Array | undefined
      for await (const chunk of exactly(body, size, signal)) {
        if (held !== undefined) {
          await hashing
          hashing = update(hasher, held)
          yield held
        }
        held = chunk
      }
      await hashing
      if (held !== undefined) hasher.update(held)
      const actual = createDigest(hash.code, hasher.digest())
      if (!equals(actual.digest, expected.digest)) throw new DigestMismatchError(expected, actual)
      state.verified = true
      if (held !== undefined) yield held
    } catch (error) {
      state.failure = error
      throw error
    } finally {
      // A consumer that stops early leaves a deferred update behind: never let it reject unhandled.
      hashing.catch(() => {})
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
