import type { IOOptions, ObjectStore } from '@strata/objectstore'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { BlockIndex, BlockIndexEntry, BlockIndexKey, BlockLocation, Entries } from '../contract.js'
import {
  blockPrefix,
  digestOfName,
  eachLimited,
  entryPrefix,
  locationKey,
  parseLocationName,
} from '../locations.js'

/** Options for {@link S3BlockIndex}. */
export interface S3BlockIndexOptions {
  /**
   * Where the entries go: an opened object store whose keys may contain `/` (a `MinioObjectStore`
   * on its own bucket; any backend but flatfs works). Its lifecycle stays the caller's.
   */
  backend: ObjectStore
  /** Prepended to every key, e.g. `blocks/`. Default none. */
  prefix?: string
  /** Requests in flight at once in `putMany` / `deleteMany`. Default 64. */
  concurrency?: number
}

const EMPTY = new Uint8Array(0)

/**
 * A block index on S3, as go-ds-s3 keeps Kubo's blocks: one small object per entry, written with
 * bounded concurrency. The location is the key itself, `<prefix><block>/<blob>.<offset>.<length>`
 * (base32 multihashes, decimal numbers) with an empty body, so a lookup is ONE LIST of
 * `<prefix><block>/` (no GET), and a removal that names its location is one DELETE. Keys that are
 * not entries (foreign objects under the prefix) are ignored. Stateless: N servers can share the
 * bucket.
 */
export class S3BlockIndex implements BlockIndex {
  readonly #backend: ObjectStore
  readonly #prefix: string
  readonly #concurrency: number

  constructor(options: S3BlockIndexOptions) {
    this.#backend = options.backend
    this.#prefix = options.prefix ?? ''
    this.#concurrency = options.concurrency ?? 64
  }

  /** Nothing to acquire: the backend is opened by the caller. */
  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async putMany(entries: Entries<BlockIndexEntry>, options: IOOptions = {}): Promise<void> {
    await eachLimited(entries, this.#concurrency, async ({ block, location }) => {
      options.signal?.throwIfAborted()
      await this.#backend.put(this.#prefix + locationKey(block, location), 0, EMPTY, options)
    })
  }

  async get(block: MultihashDigest, options: IOOptions = {}): Promise<BlockLocation[]> {
    const prefix = this.#prefix + blockPrefix(block)
    const locations: BlockLocation[] = []
    for await (const key of this.#backend.list(prefix, options)) {
      const location = parseLocationName(key.slice(prefix.length))
      if (location !== undefined) locations.push(location)
    }
    return locations
  }

  async has(block: MultihashDigest, options: IOOptions = {}): Promise<boolean> {
    return (await this.get(block, options)).length > 0
  }

  /**
   * Every entry, in key order (by block name): one LIST request per 1,000 entries, no GET. For
   * consistency checks and garbage collection, which read the whole index. Keys that are not
   * entries are skipped.
   */
  async *entries(options: IOOptions = {}): AsyncGenerator<BlockIndexEntry> {
    for await (const key of this.#backend.list(this.#prefix, options)) {
      const rest = key.slice(this.#prefix.length)
      const slash = rest.indexOf('/')
      const location = slash > 0 ? parseLocationName(rest.slice(slash + 1)) : undefined
      if (location === undefined) continue
      let block: MultihashDigest
      try {
        block = digestOfName(rest.slice(0, slash))
      } catch {
        continue
      }
      yield { block, location }
    }
  }

  async deleteMany(keys: Entries<BlockIndexKey>, options: IOOptions = {}): Promise<void> {
    await eachLimited(keys, this.#concurrency, async ({ block, blob, offset, length }) => {
      options.signal?.throwIfAborted()
      if (offset !== undefined && length !== undefined) {
        await this.#backend.delete(this.#prefix + locationKey(block, { blob, offset, length }), options)
        return
      }
      // location not given: every entry of the pair (one, unless written at two locations)
      for await (const key of this.#backend.list(this.#prefix + entryPrefix(block, blob), options)) {
        await this.#backend.delete(key, options)
      }
    })
  }
}
