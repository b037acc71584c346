import { randomBytes } from 'node:crypto'
import type { IOOptions } from '@strata/objectstore'
import { describe, expect, it } from 'vitest'
import { slicesOf } from '../src/index.js'
import { carOf, cborBlock, rawBlock, sampleDag } from '../src/testing/data.js'
import { bytesOf, listableCarStore } from './helpers.js'

const { root, blocks } = sampleDag()
const car = carOf([root], blocks)
const nameOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('CarStore.deleteCar', () => {
  it('removes the CAR, its index blob, location entries, record and root entries', async () => {
    const store = listableCarStore()
    const imported = await store.cars.importCar(car)
    const deleted = await store.cars.deleteCar(imported.digest)
    expect(deleted).toMatchObject({ imported: true, entries: 7 })
    expect(deleted.index?.toString()).toBe(imported.index.toString())
    expect(await store.keys()).toEqual({ blobs: [], index: [], records: [] })
    expect(await store.cars.getCar(imported.digest)).toBeUndefined()
    for (const block of blocks) {
      if (block.cid.multihash.code !== 0) expect(await store.cars.hasBlock(block.cid)).toBe(false)
    }
  })

  it("keeps another CAR's entries for the blocks both hold", async () => {
    const store = listableCarStore()
    const extra = rawBlock(randomBytes(100))
    const first = await store.cars.importCar(car)
    const second = await store.cars.importCar(carOf([root], [...blocks, extra]))
    await store.cars.deleteCar(first.digest)
    for (const block of [...blocks, extra]) {
      expect(Buffer.from(await store.cars.getBlock(block.cid))).toEqual(Buffer.from(block.bytes))
    }
    expect((await store.keys()).index).toHaveLength(8)
    const left = []
    for await (const digest of store.cars.carsWithRoot(root)) left.push(nameOf(digest.bytes))
    expect(left).toEqual([nameOf(second.digest.bytes)])
  })

  it('finds the entries in the CAR itself when its index archive is gone', async () => {
    const store = listableCarStore()
    const imported = await store.cars.importCar(car)
    await store.blobs.delete(imported.index.multihash)
    expect(await store.cars.deleteCar(imported.digest)).toMatchObject({ imported: true, entries: 7 })
    expect(await store.keys()).toEqual({ blobs: [], index: [], records: [] })
  })

  it('finishes an interrupted deletion when run again', async () => {
    const store = listableCarStore()
    const imported = await store.cars.importCar(car)
    const backend = store.recordsBackend
    const realDelete = backend.delete.bind(backend)
    let failed = false
    backend.delete = async (key: string, options?: IOOptions) => {
      if (!failed && key.startsWith('cars/')) {
        failed = true
        throw new Error('disk gone')
      }
      return realDelete(key, options)
    }
    await expect(store.cars.deleteCar(imported.digest)).rejects.toThrow('disk gone')
    // the pointers went first: no location entry or root entry is left, the record and blobs are
    expect((await store.keys()).index).toEqual([])
    expect(await store.cars.getCar(imported.digest)).toBeDefined()
    await store.cars.deleteCar(imported.digest)
    expect(await store.keys()).toEqual({ blobs: [], index: [], records: [] })
  })

  it('deletes a CAR that was never imported as a plain blob', async () => {
    const store = listableCarStore()
    const { digest } = await store.blobs.add(car)
    expect(await store.cars.deleteCar(digest)).toEqual({ imported: false, entries: 0 })
    expect(await store.blobs.has(digest)).toBe(false)
  })

  it('lists every imported CAR, and which CARs hold a block', async () => {
    const store = listableCarStore()
    const other = cborBlock({ other: randomBytes(8) })
    const a = await store.cars.importCar(car)
    const b = await store.cars.importCar(carOf([other.cid], [other, ...blocks.slice(0, 2)]))
    const listed = []
    for await (const record of store.cars.cars()) listed.push(nameOf(record.digest.bytes))
    expect(listed.sort()).toEqual([nameOf(a.digest.bytes), nameOf(b.digest.bytes)].sort())
    const holding = (await store.cars.blobsHolding((blocks[0] as { cid: typeof root }).cid)).map((d) =>
      nameOf(d.bytes),
    )
    expect(holding.sort()).toEqual([nameOf(a.digest.bytes), nameOf(b.digest.bytes)].sort())
  })
})

describe('slicesOf', () => {
  it("reads the block multihashes of a CAR's index archive, and refuses another CAR's", async () => {
    const store = listableCarStore()
    const imported = await store.cars.importCar(car)
    const archive = await bytesOf((await store.blobs.get(imported.index.multihash)).body)
    const slices = slicesOf(archive, imported.digest)
      .map((digest) => nameOf(digest.bytes))
      .sort()
    const expected = [...new Set(blocks.map((block) => nameOf(block.cid.multihash.bytes)))].sort()
    expect(slices).toEqual(expected)
    expect(() => slicesOf(archive, blocks[0]?.cid.multihash as never)).toThrow(/no shard/)
    expect(() => slicesOf(archive.subarray(0, archive.byteLength - 5), imported.digest)).toThrow()
  })
})
