import type { IOOptions, ObjectStore } from '@strata/objectstore'
import { base58btc } from 'multiformats/bases/base58'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'

/** Options for {@link Condemned}. */
export interface CondemnedOptions {
  /** The collector's state store (memory, LevelDB, S3; not flatfs), shared by every instance. */
  backend: ObjectStore
  /** Key prefix. Default `condemned/`. */
  prefix?: string
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * The blobs a collector is about to delete: one marker `condemned/<z digest>` (holding the run's
 * id) per blob, written before the collector's second mark and removed once the blob is deleted or
 * found referenced. A writer that has just written a reference to a blob checks it is not condemned
 * (see `ReferenceGuard`): either the collector's second mark saw the reference, or the writer sees
 * the marker. Markers outlive a crashed collector until the next one (holding the lease) clears them.
 */
export class Condemned {
  readonly #backend: ObjectStore
  readonly #prefix: string

  constructor(options: CondemnedOptions) {
    this.#backend = options.backend
    this.#prefix = options.prefix ?? 'condemned/'
  }

  /** Marks `digest` as about to be deleted by run `run`. */
  async add(digest: MultihashDigest, run: string, options: IOOptions = {}): Promise<void> {
    const bytes = encoder.encode(run)
    await this.#backend.put(this.#key(digest), bytes.byteLength, bytes, options)
  }

  /** Removes the mark (the blob is deleted, or it is referenced after all). */
  async remove(digest: MultihashDigest, options: IOOptions = {}): Promise<void> {
    await this.#backend.delete(this.#key(digest), options)
  }

  /** Whether `digest` is marked. */
  async has(digest: MultihashDigest, options: IOOptions = {}): Promise<boolean> {
    return this.#backend.has(this.#key(digest), options)
  }

  /** Every mark: the digest and the run that wrote it. */
  async *list(options: IOOptions = {}): AsyncGenerator<{ digest: MultihashDigest; run: string }> {
    for await (const key of this.#backend.list(this.#prefix, options)) {
      let digest: MultihashDigest
      try {
        digest = decodeDigest(base58btc.decode(key.slice(this.#prefix.length)))
      } catch {
        continue
      }
      let run = ''
      try {
        const { body } = await this.#backend.get(key, options)
        for await (const chunk of body) run += decoder.decode(chunk, { stream: true })
      } catch (error) {
        if ((error as { name?: unknown }).name !== 'NotFoundError') throw error
        continue
      }
      yield { digest, run }
    }
  }

  #key(digest: MultihashDigest): string {
    return `${this.#prefix}${base58btc.encode(digest.bytes)}`
  }
}
