import { base64 } from 'multiformats/bases/base64'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { BlockLocation } from './contract.js'

/**
 * The most recently read blocks' locations (LRU), so a hot block is read without an index lookup
 * (a LevelDB iterator, or an S3 LIST). Entries are hints, never trusted: a location is a fact about
 * an immutable blob, and `readBlock` falls back to the index when the blob it names is gone.
 */
export class LocationCache {
  readonly #capacity: number
  readonly #entries = new Map<string, BlockLocation>()

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  get(block: MultihashDigest): BlockLocation | undefined {
    const key = base64.baseEncode(block.bytes)
    const found = this.#entries.get(key)
    if (found !== undefined) {
      // most recently used last
      this.#entries.delete(key)
      this.#entries.set(key, found)
    }
    return found
  }

  set(block: MultihashDigest, location: BlockLocation): void {
    const key = base64.baseEncode(block.bytes)
    this.#entries.delete(key)
    this.#entries.set(key, location)
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value as string)
  }

  delete(block: MultihashDigest): void {
    this.#entries.delete(base64.baseEncode(block.bytes))
  }
}
