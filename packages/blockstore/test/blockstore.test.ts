import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Base32KeyEncoder, VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { MemoryBlockIndex } from '@strata/car/memory'
import { blockOf, carOf, cborBlock, rawBlock, sampleDag } from '@strata/car/testing/data'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { shardOf } from '@strata/objectstore/flatfs/layout'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StrataBlockstore } from '../src/index.js'

const MiB = 1024 * 1024
const bytesOf = (text: string) => new TextEncoder().encode(text)

async function all<T>(source: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise
  } catch (error) {
    return error as Error & Record<string, unknown>
  }
  throw new Error('expected a rejection')
}

function memoryStore(options: { readOnly?: boolean } = {}) {
  const blobs = new VerifiedBlobStore({ backend: new MemoryObjectStore() })
  const cars = new CarStore({ blobs, index: new MemoryBlockIndex(), records: new MemoryObjectStore() })
  return { blobs, cars, store: new StrataBlockstore({ blobs, cars, ...options }) }
}

describe('StrataBlockstore (memory): what strata adds to the interface', () => {
  it('verifies every put: bytes that do not hash to the CID are refused and nothing is stored', async () => {
    const { store, blobs } = memoryStore()
    const block = rawBlock(bytesOf('the real bytes'))
    const error = await rejectionOf(store.put(block.cid, bytesOf('other bytes')))
    expect(error.name).toBe('DigestMismatchError')
    expect(await store.has(block.cid)).toBe(false)
    expect(await all(blobs.list())).toEqual([])
    // chunked input is verified the same way
    const chunked = await rejectionOf(store.put(block.cid, [bytesOf('the real'), bytesOf(' byteZ')]))
    expect(chunked.name).toBe('DigestMismatchError')
    expect(await store.has(block.cid)).toBe(false)
  })

  it('keys by multihash: a block put under CIDv0 is the same object under CIDv1 (dag-pb or raw)', async () => {
    const { store, blobs } = memoryStore()
    const block = rawBlock(bytesOf('one block, three CIDs'))
    const v0 = CID.createV0(block.cid.multihash as MultihashDigest<0x12>)
    const v1pb = CID.createV1(0x70, block.cid.multihash)
    await store.put(v0, block.bytes)
    expect(await all(store.get(v1pb))).toEqual([block.bytes])
    expect(await all(store.get(block.cid))).toEqual([block.bytes])
    expect((await all(blobs.list())).length).toBe(1)
    await store.delete(block.cid)
    expect(await store.has(v0)).toBe(false)
  })

  it('identity CIDs carry their bytes: put checks them and stores nothing; get and has need no storage', async () => {
    const { store, blobs } = memoryStore()
    const inline = rawBlock(bytesOf('inline bytes'), 'identity')
    expect(await store.put(inline.cid, inline.bytes)).toBe(inline.cid)
    expect(await all(blobs.list())).toEqual([])
    expect(await store.has(inline.cid)).toBe(true)
    expect(await all(store.get(inline.cid))).toEqual([inline.bytes])
    expect((await rejectionOf(store.put(inline.cid, bytesOf('not these')))).name).toBe('DigestMismatchError')
  })

  it('refuses hash functions it cannot verify (before storing anything)', async () => {
    const { store, blobs } = memoryStore()
    const blake3 = CID.createV1(raw.code, createDigest(0x1e, new Uint8Array(32)))
    const error = await rejectionOf(store.put(blake3, bytesOf('x')))
    expect(error.name).toBe('UnsupportedHashError')
    expect(await all(blobs.list())).toEqual([])
    // and a read of a hash it can never have stored is simply not found
    expect((await rejectionOf(all(store.get(blake3)))).name).toBe('NotFoundError')
  })

  it('refuses a block over maxBlockSize as soon as the limit is passed, without reading on', async () => {
    const blobs = new VerifiedBlobStore({ backend: new MemoryObjectStore() })
    const store = new StrataBlockstore({ blobs, maxBlockSize: 1000 })
    const block = rawBlock(new Uint8Array(1500))
    let pulled = 0
    async function* chunks() {
      for (let i = 0; i < 15; i++) {
        pulled++
        yield new Uint8Array(100)
      }
    }
    const error = await rejectionOf(store.put(block.cid, chunks()))
    expect(error).toMatchObject({ name: 'BlockTooLargeError', limit: 1000, length: 1100 })
    expect(pulled).toBe(11)
    expect((await rejectionOf(store.put(block.cid, block.bytes))).name).toBe('BlockTooLargeError')
    expect(await store.has(block.cid)).toBe(false)
  })

  it('yields a small block as one chunk and a large one in chunks of at least chunkSize', async () => {
    const blobs = new VerifiedBlobStore({ backend: new MemoryObjectStore() })
    const store = new StrataBlockstore({ blobs, chunkSize: 64 * 1024 })
    const small = rawBlock(new Uint8Array(1000).fill(7))
    const large = rawBlock(new Uint8Array(MiB).map((_, i) => i % 251))
    await store.put(small.cid, small.bytes)
    // put as 4 KiB chunks: the memory backend keeps them as given
    const pieces = Array.from({ length: 256 }, (_, i) => large.bytes.subarray(i * 4096, (i + 1) * 4096))
    await store.put(large.cid, pieces)
    expect(await all(store.get(small.cid))).toEqual([small.bytes])
    const chunks = await all(store.get(large.cid))
    expect(chunks.slice(0, -1).every((chunk) => chunk.byteLength >= 64 * 1024)).toBe(true)
    expect(Buffer.concat(chunks).equals(Buffer.from(large.bytes))).toBe(true)
  })

  it('reads the blocks of an imported CAR through the block index; delete leaves them readable', async () => {
    const { store, cars } = memoryStore()
    const { root, blocks } = sampleDag()
    await cars.importCar(carOf([root], blocks))
    for (const block of blocks) {
      expect(await store.has(block.cid)).toBe(true)
      expect(Buffer.concat(await all(store.get(block.cid))).equals(Buffer.from(block.bytes))).toBe(true)
    }
    const first = blocks[0]?.cid as CID
    await store.delete(first)
    expect(await store.has(first)).toBe(true)
    expect((await store.open(first)).source).toBe('car')
  })

  it("prefer: 'cars': has() asks the block index first, without a blob lookup of the block", async () => {
    const blobs = new VerifiedBlobStore({ backend: new MemoryObjectStore() })
    const cars = new CarStore({ blobs, index: new MemoryBlockIndex(), records: new MemoryObjectStore() })
    const inCar = rawBlock(bytesOf('in a CAR'))
    await cars.importCar(carOf([inCar.cid], [inCar]))
    const asked: string[] = []
    const has = blobs.has.bind(blobs)
    blobs.has = (digest, options) => {
      asked.push(Buffer.from(digest.bytes).toString('hex'))
      return has(digest, options)
    }
    const block = Buffer.from(inCar.cid.multihash.bytes).toString('hex')
    expect(await new StrataBlockstore({ blobs, cars, prefer: 'cars' }).has(inCar.cid)).toBe(true)
    expect(asked).not.toContain(block)
    expect(await new StrataBlockstore({ blobs, cars }).has(inCar.cid)).toBe(true)
    expect(asked).toContain(block) // blobs first (the default): the block's own blob is looked for
  })

  it('read-only: every write is refused with ReadOnlyError, reads work', async () => {
    const { store, blobs } = memoryStore({ readOnly: true })
    const block = cborBlock({ hello: 'world' })
    await blobs.put(block.cid.multihash, block.bytes.byteLength, block.bytes)
    for (const write of [
      () => store.put(block.cid, block.bytes),
      () => store.delete(block.cid),
      () => all(store.putMany([{ cid: block.cid, bytes: block.bytes }])),
      () => all(store.deleteMany([block.cid])),
    ]) {
      expect(await rejectionOf(write())).toMatchObject({ name: 'ReadOnlyError' })
    }
    expect(await all(store.get(block.cid))).toEqual([block.bytes])
  })

  it('putMany and deleteMany keep input order with calls in flight; a failure stops the stream', async () => {
    const { store } = memoryStore()
    const blocks = Array.from({ length: 40 }, (_, i) => rawBlock(bytesOf(`block ${i}`)))
    const put = await all(store.putMany(blocks.map(({ cid, bytes }) => ({ cid, bytes }))))
    expect(put).toEqual(blocks.map((block) => block.cid))
    const bad = [...blocks.slice(0, 3).map(({ cid, bytes }) => ({ cid, bytes }))]
    const wrong = rawBlock(bytesOf('expected'))
    bad.push({ cid: wrong.cid, bytes: bytesOf('not it') })
    expect((await rejectionOf(all(store.putMany(bad)))).name).toBe('DigestMismatchError')
    const deleted = await all(store.deleteMany(blocks.map((block) => block.cid)))
    expect(deleted).toEqual(blocks.map((block) => block.cid))
    for (const block of blocks) expect(await store.has(block.cid)).toBe(false)
  })

  it('an abort between blocks stops getMany, and the bytes of a pair not yet read', async () => {
    const { store } = memoryStore()
    const [a, b] = [rawBlock(bytesOf('a')), blockOf(new Uint8Array(512 * 1024), raw.code)]
    await store.put(a.cid, a.bytes)
    await store.put(b.cid, b.bytes)
    const controller = new AbortController()
    const seen: CID[] = []
    const error = await rejectionOf(
      (async () => {
        for await (const pair of store.getMany([a.cid, b.cid], { signal: controller.signal })) {
          seen.push(pair.cid)
          controller.abort()
          await all(pair.bytes)
        }
      })(),
    )
    expect(error.name).toBe('AbortError')
    expect(seen).toEqual([a.cid])
  })
})

describe('StrataBlockstore (flatfs): a block changed on disk is never returned', () => {
  let dir: string
  let backend: FlatfsObjectStore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-blockstore-tamper-'))
    backend = new FlatfsObjectStore({ path: dir })
    await backend.open()
  })
  afterEach(async () => {
    await backend.close()
    await rm(dir, { recursive: true, force: true })
  })

  it.each([
    ['a small block (one chunk)', 1000],
    ['a 1 MiB block (many chunks)', MiB],
  ])(
    '%s: same length, one byte flipped: get fails with DigestMismatchError before its last bytes',
    async (_, size) => {
      const store = new StrataBlockstore({ blobs: new VerifiedBlobStore({ backend }) })
      const block = rawBlock(new Uint8Array(size).map((_, i) => i % 253))
      await store.put(block.cid, block.bytes)
      const key = new Base32KeyEncoder().encode(block.cid.multihash)
      const file = join(dir, shardOf(key), `${key}.data`)
      const bytes = await readFile(file)
      bytes[size - 10] = (bytes[size - 10] as number) ^ 0xff
      await writeFile(file, bytes)
      const received: Uint8Array[] = []
      const error = await rejectionOf(
        (async () => {
          for await (const chunk of store.get(block.cid)) received.push(chunk)
        })(),
      )
      expect(error.name).toBe('DigestMismatchError')
      expect(received.reduce((sum, chunk) => sum + chunk.byteLength, 0)).toBeLessThan(size)
    },
  )

  it('a block inside a CAR, one byte flipped: open fails with DigestMismatchError, no bytes', async () => {
    const blobs = new VerifiedBlobStore({ backend })
    const cars = new CarStore({ blobs, index: new MemoryBlockIndex(), records: new MemoryObjectStore() })
    const store = new StrataBlockstore({ blobs, cars, prefer: 'cars' })
    const block = rawBlock(new Uint8Array(4096).map((_, i) => i % 251))
    const car = carOf([block.cid], [block])
    const { digest } = await cars.importCar(car)
    expect((await store.open(block.cid)).bytes).toEqual(block.bytes)
    const key = new Base32KeyEncoder().encode(digest)
    const file = join(dir, shardOf(key), `${key}.data`)
    const bytes = await readFile(file)
    bytes[bytes.byteLength - 10] = (bytes[bytes.byteLength - 10] as number) ^ 0xff
    await writeFile(file, bytes)
    expect((await rejectionOf(store.open(block.cid))).name).toBe('DigestMismatchError')
  })
})

describe('StrataBlockstore.open and stat: what an HTTP answer needs before its headers', () => {
  it('a block of a CAR, or an identity CID, is opened with its verified bytes in hand', async () => {
    const { store, cars } = memoryStore()
    const inCar = rawBlock(bytesOf('in a CAR'))
    await cars.importCar(carOf([inCar.cid], [inCar]))
    const read = await store.open(inCar.cid)
    expect(read).toMatchObject({ size: inCar.bytes.byteLength, source: 'car', bytes: inCar.bytes })
    expect(await all(read.body)).toEqual([inCar.bytes])
    const identity = rawBlock(bytesOf('x'), 'identity')
    expect((await store.open(identity.cid)).bytes).toEqual(bytesOf('x'))
  })

  it('stat answers size and source without opening a body; a body returned unread releases the backend', async () => {
    const backend = new MemoryObjectStore()
    let opened = 0
    let released = 0
    const get = backend.get.bind(backend)
    backend.get = async (...args) => {
      const result = await get(...args)
      const inner = result.body[Symbol.asyncIterator]()
      opened++
      // a backend body holding its handle from the start, released by return() even unstarted
      // (as flatfs's PositionedBody)
      const body: AsyncIterableIterator<Uint8Array> = {
        [Symbol.asyncIterator]: () => body,
        next: async () => {
          const next = await inner.next()
          if (next.done) released++
          return next
        },
        return: async () => {
          released++
          return { done: true, value: undefined }
        },
      }
      return { ...result, body }
    }
    const blobs = new VerifiedBlobStore({ backend })
    const cars = new CarStore({ blobs, index: new MemoryBlockIndex(), records: new MemoryObjectStore() })
    const store = new StrataBlockstore({ blobs, cars })
    const blob = rawBlock(new Uint8Array(100_000).fill(3))
    await store.put(blob.cid, blob.bytes)
    const inCar = rawBlock(bytesOf('in a CAR'))
    await cars.importCar(carOf([inCar.cid], [inCar]))
    opened = 0
    expect(await store.stat(blob.cid)).toEqual({ size: 100_000, source: 'blob' })
    expect(opened).toBe(0)
    expect(await store.stat(inCar.cid)).toEqual({ size: inCar.bytes.byteLength, source: 'car' })
    expect(await store.stat(rawBlock(bytesOf('x'), 'identity').cid)).toEqual({ size: 1, source: 'identity' })
    expect((await rejectionOf(store.stat(rawBlock(bytesOf('nowhere')).cid))).name).toBe('NotFoundError')
    opened = 0
    released = 0
    const read = await store.open(blob.cid)
    expect(read).toMatchObject({ size: 100_000, source: 'blob' })
    expect(read.bytes).toBeUndefined() // a blob streams, verified as it goes
    await read.body.return(undefined)
    expect([opened, released]).toEqual([1, 1])
  })
})
