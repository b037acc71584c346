import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { listKeys } from '@strata/objectstore/testing'
import { describe, expect, it } from 'vitest'
import { LevelBlockIndex } from '../src/level/index.js'
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

// The S3 layout over any object store: the suite runs here on memory, on RGW in s3.test.ts.
blockIndexSuite('S3 layout on a memory object store', {
  create: async () =>
    new S3BlockIndex({ backend: new MemoryObjectStore(), prefix: 'blocks/', concurrency: 8 }),
})

describe('block index layouts', () => {
  it('S3: one object per (block, blob) pair at <prefix><block base32>/<blob base32>', async () => {
    const backend = new MemoryObjectStore()
    const index = new S3BlockIndex({ backend, prefix: 'blocks/' })
    const [block, blob] = [randomMultihash(), randomMultihash()]
    await index.putMany([{ block, location: { blob, offset: 300, length: 5 } }])
    const { Base32KeyEncoder } = await import('@strata/blobstore')
    const base32 = new Base32KeyEncoder()
    const key = `blocks/${base32.encode(block)}/${base32.encode(blob)}`
    expect(await listKeys(backend)).toEqual([key])
    // varint 300 (0xac 0x02), varint 5
    const { body } = await backend.get(key)
    const bytes: number[] = []
    for await (const chunk of body) bytes.push(...chunk)
    expect(bytes).toEqual([0xac, 0x02, 5])
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
