import { randomBytes } from 'node:crypto'
import type { Body, ObjectStore, PutOptions } from '@strata/objectstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { chunked } from '@strata/objectstore/testing'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { BlockNotFoundError } from '../src/index.js'
import { carOf, cborBlock, rawBlock, sampleDag } from '../src/testing/data.js'
import { bytesOf, listableCarStore } from './helpers.js'

const { root, blocks } = sampleDag()
const car = carOf([root], blocks)
const nothing = { blobs: [], index: [], records: [] }

describe('CarStore.importCar', () => {
  it('imports a CAR: result, blobs (CAR + index), one entry per distinct block, records', async () => {
    const store = listableCarStore()
    const result = await store.cars.importCar(chunked(car, 100))
    expect(result).toMatchObject({ size: car.byteLength, blocks: 7, complete: true, created: true })
    expect(result.roots.map(String)).toEqual([root.toString()])
    expect(Buffer.from(result.digest.bytes)).toEqual(Buffer.from((await sha256.digest(car)).bytes))
    expect(result.index.code).toBe(0x0202)
    const keys = await store.keys()
    expect(keys.blobs).toHaveLength(2)
    // the identity block is indexed too (its location in the CAR is real)
    expect(keys.index).toHaveLength(7)
    expect(keys.records).toHaveLength(2)
    expect(await store.cars.getCar(result.digest)).toMatchObject({ blocks: 7, size: car.byteLength })
    const withRoot = []
    for await (const digest of store.cars.carsWithRoot(root)) withRoot.push(digest.bytes)
    expect(withRoot).toEqual([result.digest.bytes])
  })

  it('reads every block back verified; hasBlock; BlockNotFoundError names a missing CID', async () => {
    const { cars } = listableCarStore()
    await cars.importCar(car)
    for (const block of blocks) {
      expect(Buffer.from(await cars.getBlock(block.cid))).toEqual(Buffer.from(block.bytes))
      expect(await cars.hasBlock(block.cid)).toBe(true)
    }
    const missing = rawBlock(randomBytes(10)).cid
    expect(await cars.hasBlock(missing)).toBe(false)
    await expect(cars.getBlock(missing)).rejects.toBeInstanceOf(BlockNotFoundError)
    await expect(cars.getBlock(missing)).rejects.toMatchObject({ name: 'BlockNotFoundError', cid: missing })
  })

  it('never returns stored bytes that do not hash to the CID: DigestMismatchError', async () => {
    const store = listableCarStore()
    const leaf = rawBlock(randomBytes(2000))
    const result = await store.cars.importCar(carOf([leaf.cid], [leaf]))
    // corrupt the stored CAR in place (the blob store never would)
    const key = store.blobs.keyOf(result.digest)
    const stored = await bytesOf((await store.blobsBackend.get(key)).body)
    stored[stored.byteLength - 1] = (stored[stored.byteLength - 1] as number) ^ 1
    await store.blobsBackend.put(key, stored.byteLength, stored)
    await expect(store.cars.getBlock(leaf.cid)).rejects.toMatchObject({
      name: 'DigestMismatchError',
      cid: expect.objectContaining({ bytes: leaf.cid.bytes }),
    })
  })

  it('is idempotent: a second import writes nothing and answers created: false', async () => {
    const store = listableCarStore()
    const first = await store.cars.importCar(car)
    const before = await store.keys()
    const again = await store.cars.importCar(chunked(car, 10))
    expect(again).toMatchObject({ created: false, blocks: 7 })
    expect(again.index.toString()).toBe(first.index.toString())
    expect(await store.keys()).toEqual(before)
  })

  it('with the digest, puts the CAR (verified) and answers a known CAR without reading the body', async () => {
    const store = listableCarStore()
    const digest = await sha256.digest(car)
    const result = await store.cars.importCar(car, { digest, size: car.byteLength })
    expect(result.created).toBe(true)
    async function* unreadable(): AsyncGenerator<Uint8Array> {
      yield car.subarray(0, 0)
      throw new Error('read')
    }
    expect(await store.cars.importCar(unreadable(), { digest, size: car.byteLength })).toMatchObject({
      created: false,
    })
    const other = listableCarStore()
    const wrong = await sha256.digest(randomBytes(8))
    await expect(other.cars.importCar(car, { digest: wrong, size: car.byteLength })).rejects.toMatchObject({
      name: 'DigestMismatchError',
    })
    expect(await other.keys()).toEqual(nothing)
  })

  it('indexes a CAR whose blob was stored before as a plain blob, from the stored bytes', async () => {
    const store = listableCarStore()
    const digest = await sha256.digest(car)
    await store.blobs.put(digest, car.byteLength, car)
    const result = await store.cars.importCar(new Uint8Array(car.byteLength), {
      digest,
      size: car.byteLength,
    })
    expect(result).toMatchObject({ created: true, blocks: 7 })
    expect(Buffer.from(await store.cars.getBlock(blocks[3]?.cid ?? root))).toEqual(
      Buffer.from(blocks[3]?.bytes ?? []),
    )
  })

  it('leaves nothing behind a CAR that fails, and keeps what was stored before', async () => {
    const store = listableCarStore()
    const truncated = car.subarray(0, car.byteLength - 3)
    await expect(store.cars.importCar(chunked(truncated, 50))).rejects.toMatchObject({
      name: 'CarFormatError',
    })
    expect(await store.keys()).toEqual(nothing)
    await store.cars.importCar(car)
    const before = await store.keys()
    const flipped = Buffer.from(car)
    flipped[flipped.byteLength - 2] = (flipped[flipped.byteLength - 2] as number) ^ 1
    await expect(store.cars.importCar(flipped)).rejects.toMatchObject({ name: 'DigestMismatchError' })
    expect(await store.keys()).toEqual(before)
  })

  it('an abort leaves nothing: ImportAbortedError (AbortError) with the offset reached', async () => {
    const store = listableCarStore()
    const controller = new AbortController()
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield car.subarray(0, 1000)
      controller.abort(new Error('client went away'))
      yield car.subarray(1000)
    }
    await expect(store.cars.importCar(slow(), { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
      offset: 1000,
      cause: expect.objectContaining({ message: 'client went away' }),
    })
    expect(await store.keys()).toEqual(nothing)
  })

  it('a failure writing the pointers removes the CAR, index blob and entries written so far', async () => {
    let puts = 0
    const failing = new (class extends MemoryObjectStore {
      override async put(
        key: string,
        size: number | undefined,
        body: Body,
        options?: PutOptions,
      ): Promise<void> {
        if (++puts === 2) throw new Error('disk full')
        await super.put(key, size, body, options)
      }
    })()
    const store = listableCarStore({ records: failing as ObjectStore })
    await expect(store.cars.importCar(car)).rejects.toThrow('disk full')
    const keys = await store.keys()
    expect({ ...keys, records: await bytesOfKeys(failing) }).toEqual(nothing)
  })

  it('names the CID and offset of the first bad block', async () => {
    const { cars } = listableCarStore()
    const good = cborBlock({ a: 1 })
    const bad = { cid: rawBlock(randomBytes(5)).cid, bytes: randomBytes(5) }
    const bytes = carOf([good.cid], [good, bad])
    const offset = bytes.byteLength - (bad.cid.bytes.byteLength + 5 + 1)
    await expect(cars.importCar(bytes)).rejects.toMatchObject({
      name: 'DigestMismatchError',
      offset,
      cid: expect.objectContaining({ bytes: bad.cid.bytes }),
    })
  })
})

async function bytesOfKeys(store: MemoryObjectStore): Promise<string[]> {
  const keys: string[] = []
  for await (const key of store.list('')) keys.push(key)
  return keys
}
