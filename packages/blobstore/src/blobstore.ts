import { assertSize, type Body, type IOOptions, type ObjectStore } from '@strata/objectstore'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type {
  BlobGetOptions,
  BlobPutOptions,
  BlobResult,
  BlobStore,
  KeyEncoder,
  PutResult,
} from './contract.js'
import { verifiable } from './hashes.js'
import { Base32KeyEncoder } from './key-encoders.js'
import { verifying } from './verify.js'

/** Options for {@link Blobstore}. */
export interface BlobstoreOptions {
  /** Where the bytes go: any opened `ObjectStore`. Its lifecycle (`open`/`close`) stays the caller's. */
  backend: ObjectStore
  /**
   * Maps digests to backend keys. Default {@link Base32KeyEncoder}: the only encoding valid on
   * every backend, flatfs included. Use `FlatfsKeyEncoder` on S3 and `PlainKeyEncoder` on
   * memory/datastore backends for Piri-compatible keys.
   */
  keyEncoder?: KeyEncoder
}

/**
 * A content-addressed blob store over any object store, verifying every put as it streams.
 *
 * Verification point: the body is wrapped in a stream that hashes it (sha2-256 or sha2-512, with
 * `node:crypto`) and counts it while the backend consumes it, holds back the last chunk until the
 * digest is checked, and throws at the end of the input instead of completing. Every backend
 * commits only when the body iterator completes, so a blob that does not verify is never visible,
 * not even briefly to a concurrent reader.
 *
 * Already stored: `put` first asks the backend whether the blob exists; if so it answers
 * `{ created: false }` without reading (or draining) the body and without rewriting anything. The
 * stored bytes hash to the digest, so they are the bytes the caller would upload. The declared
 * `size` is not compared with the stored blob in that case (that would cost a read on S3). A
 * caller holding a socket behind the body discards the rest of it.
 *
 * Concurrent puts of the same new blob each verify their own body; the backend's atomic commit
 * leaves one correct copy (each verified put may answer `created: true`).
 */
export class Blobstore implements BlobStore {
  readonly #backend: ObjectStore
  readonly #encoder: KeyEncoder

  constructor(options: BlobstoreOptions) {
    this.#backend = options.backend
    this.#encoder = options.keyEncoder ?? new Base32KeyEncoder()
  }

  /** The backend key under which `digest` is (or would be) stored. */
  keyOf(digest: MultihashDigest): string {
    return this.#encoder.encode(digest)
  }

  async put(
    digest: MultihashDigest,
    size: number,
    body: Body,
    options: BlobPutOptions = {},
  ): Promise<PutResult> {
    const { digest: expected, hash } = verifiable(digest)
    assertSize(size)
    options.signal?.throwIfAborted()
    const key = this.#encoder.encode(expected)
    if (await this.#backend.has(key, options)) return { created: false }
    const { stream, state } = verifying(body, size, expected, hash, options.signal)
    try {
      await this.#backend.put(key, size, stream, options)
    } catch (error) {
      // Report the verification failure even if the backend wrapped it in its own error.
      throw state.failure ?? error
    }
    if (!state.verified) {
      // Only a backend that breaks the contract (commits without consuming the whole body, or
      // swallows the body's error) gets here: take the unverified blob back out.
      await this.#backend.delete(key).catch(() => {})
      throw state.failure ?? new Error(`backend stored ${key} without reading the whole body`)
    }
    return { created: true }
  }

  async get(digest: MultihashDigest, options: BlobGetOptions = {}): Promise<BlobResult> {
    return this.#backend.get(this.#encoder.encode(digest), options)
  }

  async has(digest: MultihashDigest, options: IOOptions = {}): Promise<boolean> {
    return this.#backend.has(this.#encoder.encode(digest), options)
  }

  async delete(digest: MultihashDigest, options: IOOptions = {}): Promise<void> {
    await this.#backend.delete(this.#encoder.encode(digest), options)
  }

  /** Lists every backend key and yields those that decode as digests; others are skipped. */
  async *list(options: IOOptions = {}): AsyncGenerator<MultihashDigest> {
    for await (const key of this.#backend.list('', options)) {
      let digest: MultihashDigest
      try {
        digest = this.#encoder.decode(key)
      } catch {
        continue
      }
      yield digest
    }
  }
}
