import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { listKeys } from '@strata/objectstore/testing'
import { describe, expect, it } from 'vitest'
import { LevelBlockIndex } from '../src/level/index.js'
import { LookupCache } from '../src/level/lookup-cache.js'
import { MemoryBlockIndex } from '../src/memory/index.js'
import { S3BlockIndex } from '../src/s3/index.js'
import { blockIndexSuite, randomMultihash } from '../src/testing/index.js'

blockIndexSuite('memory', { create: async () => new MemoryBlockIndex() })

let dir = ''
blockIndexSuite('LevelDB', {
  create: async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-car-index-'))
    const index = new LevelBlockIndex({ path: join(dir, 'index'), batchSize: 1000 })
    await index.open()
    return index
  },
  destroy: async (index) => {
    await index.close()
    await rm(dir, { recursive: true, force: true })
  },
})

/** A memory store recording which of its methods are called. */
class CountingStore extends MemoryObjectStore {
  readonly calls: string[] = []
  override get(...args: Parameters<MemoryObjectStore['get']>) {
    this.calls.push('get')
    return super.get(...args)
  }
  override list(...args: Parameters<MemoryObjectStore['list']>) {
    this.calls.push('list')
    return super.list(...args)
  }
  override delete(...args: Parameters<MemoryObjectStore['delete']>) {
    this.calls.push('delete')
    return super.delete(...args)
  }
}

// The S3 layout over any object store: the suite runs here on memory, on RGW in s3.test.ts.
blockIndexSuite('S3 layout on a memory object store', {
  create: async () =>
    new S3BlockIndex({ backend: new MemoryObjectStore(), prefix: 'blocks/', concurrency: 8 }),
  supports: { replacesPairs: false },
})

describe('block index layouts', () => {
  it('S3: one empty object per entry at <prefix><block>/<blob>.<offset>.<length>; a lookup is one list', async () => {
    const backend = new CountingStore()
    const index = new S3BlockIndex({ backend, prefix: 'blocks/' })
    const [block, blob] = [randomMultihash(), randomMultihash()]
    await index.putMany([{ block, location: { blob, offset: 300, length: 5 } }])
    const { Base32KeyEncoder } = await import('@strata/blobstore')
    const base32 = new Base32KeyEncoder()
    const key = `blocks/${base32.encode(block)}/${base32.encode(blob)}.300.5`
    expect(await listKeys(backend)).toEqual([key])
    expect((await backend.stat(key)).size).toBe(0)
    // foreign objects under the block's prefix are not entries
    await backend.put(`blocks/${base32.encode(block)}/not-an-entry`, 1, new Uint8Array([1]))
    backend.calls.length = 0
    expect(await index.get(block)).toEqual([
      { blob: expect.objectContaining({ bytes: blob.bytes }), offset: 300, length: 5 },
    ])
    expect(backend.calls).toEqual(['list'])
    // a removal naming its location is one delete; without it, a list of the pair first
    backend.calls.length = 0
    await index.deleteMany([{ block, blob, offset: 300, length: 5 }])
    expect(backend.calls).toEqual(['delete'])
    await index.putMany([{ block, location: { blob, offset: 300, length: 5 } }])
    backend.calls.length = 0
    await index.deleteMany([{ block, blob }])
    expect(backend.calls).toEqual(['list', 'delete'])
    expect(await index.get(block)).toEqual([])
  })

  it('S3: lists every entry in key order, skipping what is not one', async () => {
    const backend = new MemoryObjectStore()
    const index = new S3BlockIndex({ backend, prefix: 'blocks/' })
    const blob = randomMultihash()
    const written = Array.from({ length: 20 }, (_, offset) => ({
      block: randomMultihash(),
      location: { blob, offset, length: 3 },
    }))
    await index.putMany(written)
    await backend.put('blocks/not-a-block/x.1.2', 0, new Uint8Array())
    await backend.put('elsewhere/key', 0, new Uint8Array())
    const listed = []
    for await (const entry of index.entries()) listed.push(entry)
    const name = (entry: { block: { bytes: Uint8Array } }) => Buffer.from(entry.block.bytes).toString('hex')
    expect(listed.map(name).sort()).toEqual(written.map(name).sort())
    const byBlock = new Map(listed.map((entry) => [name(entry), entry.location.offset]))
    for (const entry of written) expect(byBlock.get(name(entry))).toBe(entry.location.offset)
  })

  it('LevelDB: its lookup cache follows its own writes (a block missed, put, read, deleted)', async () => {
    const path = await mkdtemp(join(tmpdir(), 'strata-car-index-'))
    const index = new LevelBlockIndex({ path, cacheSize: 2 })
    await index.open()
    try {
      const [block, blob, other] = [randomMultihash(), randomMultihash(), randomMultihash()]
      expect(await index.get(block)).toEqual([]) // a miss, cached
      expect(await index.has(block)).toBe(false)
      await index.putMany([{ block, location: { blob, offset: 5, length: 6 } }])
      expect(await index.has(block)).toBe(true)
      expect((await index.get(block)).map(({ offset }) => offset)).toEqual([5]) // cached now
      await index.putMany([{ block, location: { blob: other, offset: 7, length: 6 } }])
      expect((await index.get(block)).map(({ offset }) => offset).sort()).toEqual([5, 7])
      // eviction: two other blocks looked up push it out; it is read again from LevelDB
      await index.get(randomMultihash())
      await index.get(randomMultihash())
      expect((await index.get(block)).map(({ offset }) => offset).sort()).toEqual([5, 7])
      await index.deleteMany([{ block, blob }])
      expect((await index.get(block)).map(({ offset }) => offset)).toEqual([7])
      // what a caller does to an answer does not reach the cache
      ;(await index.get(block)).pop()
      expect(await index.get(block)).toHaveLength(1)
    } finally {
      await index.close()
      await rm(path, { recursive: true, force: true })
    }
  })

  it('the lookup cache keeps no lookup that overlapped a write', () => {
    const cache = new LookupCache(4)
    const location = { blob: randomMultihash(), offset: 1, length: 1 }
    const before = cache.generation
    cache.writing([1], () => new Uint8Array([1]))
    cache.set('a', [location], before) // began before the write: dropped
    expect(cache.get('a')).toBeUndefined()
    const during = cache.generation
    cache.written()
    cache.set('a', [location], during) // began during it: dropped
    expect(cache.get('a')).toBeUndefined()
    cache.set('a', [location], cache.generation)
    expect(cache.get('a')).toEqual([location])
    const off = new LookupCache(0)
    off.set('a', [location], off.generation)
    expect(off.get('a')).toBeUndefined()
  })

  it('LevelDB: refuses calls before open() and can be reopened after close()', async () => {
    const path = await mkdtemp(join(tmpdir(), 'strata-car-index-'))
    const index = new LevelBlockIndex({ path })
    await expect(index.get(randomMultihash())).rejects.toThrow(/not open/)
    await index.open()
    const [block, blob] = [randomMultihash(), randomMultihash()]
    await index.putMany([{ block, location: { blob, offset: 1, length: 2 } }])
    await index.close()
    await index.open()
    expect((await index.get(block)).map(({ offset, length }) => [offset, length])).toEqual([[1, 2]])
    await index.close()
    await rm(path, { recursive: true, force: true })
  })
})
