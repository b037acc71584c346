import { expect } from 'vitest'
import type { ObjectStore } from '../contract.js'
import { type ByteRange, resolveRange } from '../range.js'
import { readAll } from './data.js'

/** What a backend can do; the suite adapts its cases to these flags. */
export interface ObjectStoreCapabilities {
  /** Keys may contain `/` (every backend but flatfs). Default false. */
  slashKeys?: boolean
  /** Objects stream through without being held whole (false for memory and datastore). Default true. */
  boundedMemory?: boolean
  /** Size of the large-object case in bytes. Default 64 MiB. */
  largeObjectSize?: number
}

/** The store under test and the assertions every case file shares. */
export class SuiteContext {
  /** Set by the suite's `beforeAll`. */
  store!: ObjectStore
  readonly supports: Required<ObjectStoreCapabilities>

  constructor(supports: Required<ObjectStoreCapabilities>) {
    this.supports = supports
  }

  /** Asserts that nothing is readable under `key`. */
  async expectAbsent(key: string): Promise<void> {
    expect(await this.store.has(key)).toBe(false)
    await expect(this.store.get(key)).rejects.toMatchObject({ name: 'NotFoundError', key })
    await expect(this.store.stat(key)).rejects.toMatchObject({ name: 'NotFoundError', key })
  }

  /** Asserts that `key` holds `bytes` (the `range` of them when given), with the total size and range reported. */
  async expectContent(key: string, bytes: Uint8Array, range?: ByteRange): Promise<void> {
    const result = await this.store.get(key, range ? { range } : {})
    const wanted = resolveRange(range, bytes.byteLength)
    expect(result.size).toBe(bytes.byteLength)
    expect(result.range).toEqual(wanted)
    expect(typeof result.etag).toBe('string')
    const expected = bytes.subarray(wanted.start, wanted.end + 1)
    // A backend holding the object whole may also hand over the same bytes in one piece.
    if (result.bytes !== undefined) expect(Buffer.from(result.bytes).equals(Buffer.from(expected))).toBe(true)
    expect(Buffer.from(await readAll(result.body)).equals(Buffer.from(expected))).toBe(true)
  }
}
