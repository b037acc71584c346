import type { IOOptions } from '@strata/objectstore'
import type { BlockIndex, BlockIndexEntry, BlockIndexKey, BlockLocation, Entries } from '../contract.js'
import { nameOf } from '../locations.js'

/**
 * A block index held in process memory: for tests and ephemeral mode. Writes are applied entry
 * by entry as they arrive (a batch is not atomic, as on every backend).
 */
export class MemoryBlockIndex implements BlockIndex {
  readonly #blocks = new Map<string, Map<string, BlockLocation>>()

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async putMany(entries: Entries<BlockIndexEntry>, options: IOOptions = {}): Promise<void> {
    for await (const { block, location } of entries) {
      options.signal?.throwIfAborted()
      const name = nameOf(block)
      let locations = this.#blocks.get(name)
      if (locations === undefined) {
        locations = new Map()
        this.#blocks.set(name, locations)
      }
      const { blob, offset, length } = location
      locations.set(nameOf(blob), { blob, offset, length })
    }
  }

  async get(block: BlockIndexEntry['block']): Promise<BlockLocation[]> {
    return [...(this.#blocks.get(nameOf(block))?.values() ?? [])]
  }

  async has(block: BlockIndexEntry['block']): Promise<boolean> {
    return this.#blocks.has(nameOf(block))
  }

  async deleteMany(keys: Entries<BlockIndexKey>, options: IOOptions = {}): Promise<void> {
    for await (const { block, blob } of keys) {
      options.signal?.throwIfAborted()
      const name = nameOf(block)
      const locations = this.#blocks.get(name)
      if (locations === undefined) continue
      locations.delete(nameOf(blob))
      if (locations.size === 0) this.#blocks.delete(name)
    }
  }
}
