import { VerifiedBlobStore } from '@strata/blobstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { describe, expect, it } from 'vitest'
import type { BlockIndex } from '../src/index.js'
import { CarStore } from '../src/index.js'
import { MemoryBlockIndex } from '../src/memory/index.js'
import { carOf, cborBlock, rawBlock } from '../src/testing/data.js'

/** A memory index that counts its lookups. */
class CountingIndex extends MemoryBlockIndex {
  lookups = 0
  override get(block: Parameters<BlockIndex['get']>[0]) {
    this.lookups++
    return super.get(block)
  }
}

describe('CarStore locationCacheSize', () => {
  it('reads a block again without an index lookup, and falls back to the index when its CAR is gone', async () => {
    const blobs = new VerifiedBlobStore({ backend: new MemoryObjectStore() })
    const index = new CountingIndex()
    const cars = new CarStore({ blobs, index, records: new MemoryObjectStore(), locationCacheSize: 2 })
    const leaf = rawBlock(new TextEncoder().encode('a leaf in two CARs'))
    const first = await cars.importCar(carOf([leaf.cid], [leaf]))
    const root = cborBlock({ leaf: leaf.cid })
    await cars.importCar(carOf([root.cid], [root, leaf]))
    expect(await cars.getBlock(leaf.cid)).toEqual(leaf.bytes)
    expect(index.lookups).toBe(1)
    expect(await cars.getBlock(leaf.cid)).toEqual(leaf.bytes)
    expect(index.lookups).toBe(1)
    // the CAR it was read from goes: the next read asks the index, and finds the other CAR
    // (the first location the index gives is the one read, and remembered)
    const [read] = await index.get(leaf.cid.multihash)
    await blobs.delete(read?.blob ?? first.digest)
    index.lookups = 0
    expect(await cars.getBlock(leaf.cid)).toEqual(leaf.bytes)
    expect(index.lookups).toBe(1)
    // LRU of 2: reading two other blocks evicts the leaf
    const [a, b] = [rawBlock(new Uint8Array([1])), rawBlock(new Uint8Array([2]))]
    await cars.importCar(carOf([a.cid], [a, b]))
    await cars.getBlock(a.cid)
    await cars.getBlock(b.cid)
    index.lookups = 0
    await cars.getBlock(leaf.cid)
    expect(index.lookups).toBe(1)
  })
})
