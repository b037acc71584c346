import { mkdir } from 'node:fs/promises'
import type { IOOptions } from '@strata/objectstore'
import { LevelDatastore } from 'datastore-level'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { BlockIndex, BlockIndexEntry, BlockIndexKey, BlockLocation, Entries } from '../contract.js'
import { batches, blockPrefix, decodeLocation, encodeLocation, entryKey } from '../locations.js'

/** Options for {@link LevelBlockIndex}. */
export interface LevelBlockIndexOptions {
  /** The LevelDB directory; `open()` creates it (mode 0700, with its parents) when missing. */
  path: string
  /** Entries per LevelDB batch in `putMany` / `deleteMany`. Default 10,000. */
  batchSize?: number
}

/**
 * A block index in a LevelDB directory on local disk (filesystem mode): one key per (block, blob)
 * pair, `/<block base32>/<blob base32>` → varint offset, varint length (~4 bytes). A lookup is one
 * prefix scan; writes go in LevelDB batches, each atomic on its own. Nothing happens before
 * `open()`; calls before it or after `close()` throw.
 */
export class LevelBlockIndex implements BlockIndex {
  readonly #path: string
  readonly #batchSize: number
  #datastore: LevelDatastore | undefined

  constructor(options: LevelBlockIndexOptions) {
    this.#path = options.path
    this.#batchSize = options.batchSize ?? 10_000
  }

  /**
   * Creates the directory and opens the database. Idempotent.
   * @throws {Error} LevelDB cannot open it (e.g. another process holds its lock).
   */
  async open(): Promise<void> {
    if (this.#datastore) return
    await mkdir(this.#path, { recursive: true, mode: 0o700 })
    const datastore = new LevelDatastore(this.#path)
    await datastore.open()
    this.#datastore = datastore
  }

  /** Closes the database, releasing its lock. Idempotent. */
  async close(): Promise<void> {
    const datastore = this.#datastore
    this.#datastore = undefined
    await datastore?.close()
  }

  async putMany(entries: Entries<BlockIndexEntry>, options: IOOptions = {}): Promise<void> {
    for await (const batch of batches(entries, this.#batchSize)) {
      options.signal?.throwIfAborted()
      await this.#db().batch(
        batch.map(({ block, location }) => ({
          type: 'put' as const,
          key: `/${entryKey(block, location.blob)}`,
          value: encodeLocation(location),
        })),
      )
    }
  }

  async get(block: MultihashDigest, options: IOOptions = {}): Promise<BlockLocation[]> {
    const locations: BlockLocation[] = []
    for await (const [key, value] of this.#scan(block, options)) {
      locations.push(decodeLocation(key.slice(key.lastIndexOf('/') + 1), value))
    }
    return locations
  }

  async has(block: MultihashDigest, options: IOOptions = {}): Promise<boolean> {
    for await (const _entry of this.#scan(block, options, 1)) return true
    return false
  }

  async deleteMany(keys: Entries<BlockIndexKey>, options: IOOptions = {}): Promise<void> {
    for await (const batch of batches(keys, this.#batchSize)) {
      options.signal?.throwIfAborted()
      await this.#db().batch(
        batch.map(({ block, blob }) => ({ type: 'del' as const, key: `/${entryKey(block, blob)}` })),
      )
    }
  }

  #scan(block: MultihashDigest, options: IOOptions, limit = -1): AsyncIterable<[string, Uint8Array]> {
    options.signal?.throwIfAborted()
    const prefix = `/${blockPrefix(block)}`
    // '/' + 1 = '0': every key under the prefix sorts before prefix-without-slash + '0'.
    return this.#db().iterator({ gte: prefix, lt: `${prefix.slice(0, -1)}0`, limit })
  }

  #db(): LevelDatastore['db'] {
    if (!this.#datastore) throw new Error(`LevelBlockIndex at ${this.#path} is not open: call open() first`)
    return this.#datastore.db
  }
}
