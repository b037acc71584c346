import { mkdir } from 'node:fs/promises'
import type { IOOptions } from '@strata/objectstore'
import { LevelDatastore } from 'datastore-level'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { BlockIndex, BlockIndexEntry, BlockIndexKey, BlockLocation, Entries } from '../contract.js'
import { batches, decodeLocationValue, encodeLocation } from '../locations.js'

/** The database with binary keys and values (abstract-level's per-call `view` encodings). */
interface BinaryLevel {
  batch(
    operations: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }>,
    options: typeof BINARY,
  ): Promise<void>
  iterator(
    options: typeof BINARY & { gt: Uint8Array; lt: Uint8Array; limit: number },
  ): AsyncIterable<[Uint8Array, Uint8Array]>
}

const BINARY = { keyEncoding: 'view', valueEncoding: 'view' } as const

/** Options for {@link LevelBlockIndex}. */
export interface LevelBlockIndexOptions {
  /** The LevelDB directory; `open()` creates it (mode 0700, with its parents) when missing. */
  path: string
  /** Entries per LevelDB batch in `putMany` / `deleteMany`. Default 10,000. */
  batchSize?: number
}

/**
 * A block index in a LevelDB directory on local disk (filesystem mode): one key per (block, blob)
 * pair, the block's multihash bytes then the blob's (binary: ~68 bytes; multihashes are
 * prefix-free, so a block's entries are the keys starting with its multihash) → varint offset,
 * varint length. Binary keys cost a third of base32 ones to write (measured: 67 k entries in ~0.3 s
 * of CPU instead of ~1 s). A lookup is one prefix scan; writes go in LevelDB batches, each atomic on
 * its own. Nothing happens before `open()`; calls before it or after `close()` throw.
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
          key: keyOf(block, location.blob),
          value: encodeLocation(location),
        })),
        BINARY,
      )
    }
  }

  async get(block: MultihashDigest, options: IOOptions = {}): Promise<BlockLocation[]> {
    const locations: BlockLocation[] = []
    const prefix = block.bytes.byteLength
    for await (const [key, value] of this.#scan(block, options)) {
      locations.push({ blob: decodeDigest(key.slice(prefix)), ...decodeLocationValue(value) })
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
        batch.map(({ block, blob }) => ({ type: 'del' as const, key: keyOf(block, blob) })),
        BINARY,
      )
    }
  }

  #scan(block: MultihashDigest, options: IOOptions, limit = -1): AsyncIterable<[Uint8Array, Uint8Array]> {
    options.signal?.throwIfAborted()
    // every blob multihash (sha2-256: it starts with 0x12) sorts below 0xff
    const end = new Uint8Array(block.bytes.byteLength + 1)
    end.set(block.bytes)
    end[block.bytes.byteLength] = 0xff
    return this.#db().iterator({ ...BINARY, gt: block.bytes, lt: end, limit })
  }

  #db(): BinaryLevel {
    if (!this.#datastore) throw new Error(`LevelBlockIndex at ${this.#path} is not open: call open() first`)
    return this.#datastore.db as unknown as BinaryLevel
  }
}

/** An entry's key: the block's multihash bytes, then the blob's. */
function keyOf(block: MultihashDigest, blob: MultihashDigest): Uint8Array {
  const key = new Uint8Array(block.bytes.byteLength + blob.bytes.byteLength)
  key.set(block.bytes)
  key.set(blob.bytes, block.bytes.byteLength)
  return key
}
