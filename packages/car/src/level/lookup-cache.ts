import type { BlockLocation } from '../contract.js'

/**
 * The most recent lookups of a block index, least recently used evicted first: block multihash →
 * its locations (an empty list too: a block the index does not hold). Only for an index that one
 * process writes (LevelDB's lock makes it so): each write forgets the blocks it touches, and a
 * lookup that raced a write is not kept (`generation`).
 */
export class LookupCache {
  readonly #capacity: number
  readonly #entries = new Map<string, readonly BlockLocation[]>()
  /** Bumped when a write begins and when it ends: a lookup kept only if none overlapped it. */
  #generation = 0

  /** @param capacity blocks kept; 0 turns the cache off. */
  constructor(capacity: number) {
    this.#capacity = capacity
  }

  /** The current generation: read it before a lookup, hand it to {@link set}. */
  get generation(): number {
    return this.#generation
  }

  /** The cached locations of `key`, or undefined (and marks it recently used). */
  get(key: string): readonly BlockLocation[] | undefined {
    const found = this.#entries.get(key)
    if (found === undefined) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, found)
    return found
  }

  /** Keeps a lookup of `key` begun at `generation`, unless a write began or ended since. */
  set(key: string, locations: readonly BlockLocation[], generation: number): void {
    if (this.#capacity === 0 || generation !== this.#generation) return
    if (this.#entries.size >= this.#capacity)
      this.#entries.delete(this.#entries.keys().next().value as string)
    this.#entries.set(key, locations)
  }

  /**
   * A write of `items` begins: forgets their blocks (`multihashOf` each). Call {@link written}
   * when it ends (success or not).
   */
  writing<T>(items: readonly T[], multihashOf: (item: T) => Uint8Array): void {
    this.#generation++
    if (this.#entries.size === 0) return
    for (const item of items) this.#entries.delete(cacheKey(multihashOf(item)))
  }

  /** The write has ended. */
  written(): void {
    this.#generation++
  }

  /** Forgets everything. */
  clear(): void {
    this.#generation++
    this.#entries.clear()
  }
}

/** The cache key of a multihash (its bytes as latin1: one character a byte). */
export function cacheKey(multihash: Uint8Array): string {
  return Buffer.from(multihash.buffer, multihash.byteOffset, multihash.byteLength).toString('latin1')
}
