import type { IOOptions, ObjectStore } from '@strata/objectstore'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { BlockIndex, BlockIndexEntry, BlockIndexKey, BlockLocation, Entries } from '../contract.js'
import { blockPrefix, decodeLocation, eachLimited, encodeLocation, entryKey } from '../locations.js'

/** Options for {@link S3BlockIndex}. */
export interface S3BlockIndexOptions {
  /**
   * Where the entries go: an opened object store whose keys may contain `/` (a `MinioObjectStore`
   * on its own bucket; any backend but flatfs works). Its lifecycle stays the caller's.
   */
  backend: ObjectStore
  /** Prepended to every key, e.g. `blocks/`. Default none. */
  prefix?: string
  /** Requests in flight at once in `putMany` / `deleteMany`. Default 32. */
  concurrency?: number
}

/**
 * A block index on S3, as go-ds-s3 keeps Kubo's blocks: one small object per entry,
 * `<prefix><block base32>/<blob base32>` holding varint offset, varint length, written with bounded
 * concurrency. A lookup is one LIST of `<prefix><block>/` and one GET per location (one, unless the
 * block is in several CARs). Stateless: N servers can share the bucket.
 */
export class S3BlockIndex implements BlockIndex {
  readonly #backend: ObjectStore
  readonly #prefix: string
  readonly #concurrency: number

  constructor(options: S3BlockIndexOptions) {
    this.#backend = options.backend
    this.#prefix = options.prefix ?? ''
    this.#concurrency = options.concurrency ?? 32
  }

  /** Nothing to acquire: the backend is opened by the caller. */
  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async putMany(entries: Entries<BlockIndexEntry>, options: IOOptions = {}): Promise<void> {
    await eachLimited(entries, this.#concurrency, async ({ block, location }) => {
      options.signal?.throwIfAborted()
      const value = encodeLocation(location)
      await this.#backend.put(this.#prefix + entryKey(block, location.blob), value.byteLength, value, options)
    })
  }

  async get(block: MultihashDigest, options: IOOptions = {}): Promise<BlockLocation[]> {
    const locations: BlockLocation[] = []
    for await (const key of this.#backend.list(this.#prefix + blockPrefix(block), options)) {
      const stored = await this.#read(key, options)
      if (stored !== undefined) locations.push(decodeLocation(key.slice(key.lastIndexOf('/') + 1), stored))
    }
    return locations
  }

  async has(block: MultihashDigest, options: IOOptions = {}): Promise<boolean> {
    for await (const _key of this.#backend.list(this.#prefix + blockPrefix(block), options)) return true
    return false
  }

  async deleteMany(keys: Entries<BlockIndexKey>, options: IOOptions = {}): Promise<void> {
    await eachLimited(keys, this.#concurrency, async ({ block, blob }) => {
      options.signal?.throwIfAborted()
      await this.#backend.delete(this.#prefix + entryKey(block, blob), options)
    })
  }

  /** The value under `key`, or undefined when it was deleted since it was listed. */
  async #read(key: string, options: IOOptions): Promise<Uint8Array | undefined> {
    try {
      const { size, body } = await this.#backend.get(key, options)
      const bytes = new Uint8Array(size)
      let at = 0
      for await (const chunk of body) {
        bytes.set(chunk.subarray(0, size - at), at)
        at += chunk.byteLength
      }
      return bytes
    } catch (error) {
      if (error instanceof Error && error.name === 'NotFoundError') return undefined
      throw error
    }
  }
}
