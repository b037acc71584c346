import type { Body, IOOptions, ObjectStore } from '@strata/objectstore'
import { assertSize } from '@strata/objectstore/body'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type {
  AddResult,
  BlobAddOptions,
  BlobGetOptions,
  BlobPutOptions,
  BlobResult,
  BlobStat,
  BlobStore,
  KeyEncoder,
  PutResult,
} from './contract.js'
import { HASH_FUNCTIONS, verifiable } from './hashes.js'
import { Base32KeyEncoder } from './key-encoders.js'
import { STAGING_PREFIX, stagedAt, stagingKey } from './staging.js'
import { hashing } from './verify.js'

/** Options for {@link VerifiedBlobStore}. */
export interface VerifiedBlobStoreOptions {
  /** Where the bytes go: any opened `ObjectStore`. Its lifecycle (`open`/`close`) stays the caller's. */
  backend: ObjectStore
  /**
   * Maps digests to backend keys. Default {@link Base32KeyEncoder}: the only encoding valid on
   * every backend, flatfs included. Use `FlatfsKeyEncoder` on S3 and `PlainKeyEncoder` on
   * memory/datastore backends for Piri-compatible keys.
   */
  keyEncoder?: KeyEncoder
}

/** What {@link VerifiedBlobStore.sweepStaging} did. */
export interface StagingSweep {
  /** Staging objects removed (older than the cut-off). */
  removed: number
  /** Staging objects kept (maybe still being written). */
  kept: number
}

const SHA2_256 = HASH_FUNCTIONS.get(0x12) as NonNullable<ReturnType<typeof HASH_FUNCTIONS.get>>

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
export class VerifiedBlobStore implements BlobStore {
  readonly #backend: ObjectStore
  readonly #encoder: KeyEncoder
  /** Keys of digest objects seen (a server reuses the digest object of a hot path): encoded once. */
  readonly #keys = new WeakMap<MultihashDigest, string>()

  constructor(options: VerifiedBlobStoreOptions) {
    this.#backend = options.backend
    this.#encoder = options.keyEncoder ?? new Base32KeyEncoder()
  }

  /** The backend key under which `digest` is (or would be) stored. */
  keyOf(digest: MultihashDigest): string {
    let key = this.#keys.get(digest)
    if (key === undefined) {
      key = this.#encoder.encode(digest)
      this.#keys.set(digest, key)
    }
    return key
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
    const { stream, state } = hashing(body, size, hash, { expected, signal: options.signal })
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

  /**
   * Stages the body under a `staging-…` key while hashing it, then moves it to its digest's key
   * (flatfs: a rename; S3: a server-side copy and a delete; memory and datastore: in place). If the
   * blob is already stored the staged copy is deleted and `created` is false.
   */
  async add(body: Body, options: BlobAddOptions = {}): Promise<AddResult> {
    const { size, signal } = options
    assertSize(size)
    signal?.throwIfAborted()
    const staging = stagingKey()
    const { stream, state } = hashing(body, size, SHA2_256, { signal })
    const io = signal ? { signal } : {}
    try {
      await this.#backend.put(staging, size, stream, io)
      const digest = state.digest
      if (!state.verified || digest === undefined) throw state.failure ?? new Error('body was not read whole')
      const key = this.#encoder.encode(digest)
      const created = !(await this.#backend.has(key, io))
      if (created) await this.#backend.move(staging, key, io)
      else await this.#backend.delete(staging)
      return { digest, size: state.bytes, created }
    } catch (error) {
      await this.#backend.delete(staging).catch(() => {})
      throw state.failure ?? error
    }
  }

  async get(digest: MultihashDigest, options: BlobGetOptions = {}): Promise<BlobResult> {
    return this.#backend.get(this.keyOf(digest), options)
  }

  async stat(digest: MultihashDigest, options: IOOptions = {}): Promise<BlobStat> {
    const { size, lastModified } = await this.#backend.stat(this.#encoder.encode(digest), options)
    return lastModified === undefined ? { size } : { size, lastModified }
  }

  async has(digest: MultihashDigest, options: IOOptions = {}): Promise<boolean> {
    return this.#backend.has(this.#encoder.encode(digest), options)
  }

  async delete(digest: MultihashDigest, options: IOOptions = {}): Promise<void> {
    await this.#backend.delete(this.#encoder.encode(digest), options)
  }

  /** Lists every backend key and yields those that decode as digests; others (staging keys) are skipped. */
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

  /**
   * Removes the staging objects of `add` calls that began before `olderThan`: what a process that
   * died mid-add left behind. Younger ones may belong to an add still running (here or in another
   * instance sharing the backend) and are kept.
   */
  async sweepStaging(olderThan: Date, options: IOOptions = {}): Promise<StagingSweep> {
    const result: StagingSweep = { removed: 0, kept: 0 }
    for await (const key of this.#backend.list(STAGING_PREFIX, options)) {
      const at = stagedAt(key)
      if (at === undefined) continue
      if (at < olderThan) {
        await this.#backend.delete(key, options)
        result.removed++
      } else {
        result.kept++
      }
    }
    return result
  }
}
