import { randomBytes } from 'node:crypto'
import { CarBlockIterator } from '@ipld/car'
import { describe, expect, it } from 'vitest'
import { carOf, cborBlock, headerOf, rawBlock, sampleDag } from '../src/testing/data.js'
import { bytesOf, listableCarStore } from './helpers.js'

const { root, blocks } = sampleDag()

/** The roots and blocks of a CAR, read by @ipld/car. */
async function parse(car: Uint8Array) {
  const iterator = await CarBlockIterator.fromBytes(car)
  const found = []
  for await (const block of iterator)
    found.push({ cid: block.cid.toString(), bytes: Buffer.from(block.bytes) })
  return { roots: (await iterator.getRoots()).map(String), blocks: found }
}

const expectedWalk = blocks.map((block) => ({ cid: block.cid.toString(), bytes: Buffer.from(block.bytes) }))

describe('CarStore.exportCar', () => {
  it('serves a complete stored CAR with exactly that root byte for byte, even in an unusual order', async () => {
    const { cars } = listableCarStore()
    const shuffled = carOf([root], [...blocks].reverse())
    await cars.importCar(shuffled)
    expect((await bytesOf(cars.exportCar(root))).equals(Buffer.from(shuffled))).toBe(true)
  })

  it('walks depth first, each block once, when no stored CAR has exactly that root', async () => {
    const { cars } = listableCarStore()
    const extra = cborBlock({ other: true })
    // two roots: not served as stored
    await cars.importCar(carOf([root, extra.cid], [extra, ...blocks]))
    const exported = await parse(await bytesOf(cars.exportCar(root)))
    expect(exported.roots).toEqual([root.toString()])
    expect(exported.blocks).toEqual(expectedWalk)
  })

  it('walks across CARs: a DAG whose blocks were imported in two CARs', async () => {
    const { cars } = listableCarStore()
    await cars.importCar(carOf([root], blocks.slice(0, 3)))
    await cars.importCar(carOf([blocks[4]?.cid ?? root], blocks.slice(3)))
    const exported = await parse(await bytesOf(cars.exportCar(root)))
    expect(exported.blocks).toEqual(expectedWalk)
  })

  it("scope 'block' answers the root block alone", async () => {
    const { cars } = listableCarStore()
    await cars.importCar(carOf([root], blocks))
    const exported = await parse(await bytesOf(cars.exportCar(root, { scope: 'block' })))
    expect(exported.blocks).toEqual(expectedWalk.slice(0, 1))
    const single = rawBlock(randomBytes(50))
    const singleCar = carOf([single.cid], [single])
    await cars.importCar(singleCar)
    expect(
      (await bytesOf(cars.exportCar(single.cid, { scope: 'block' }))).equals(Buffer.from(singleCar)),
    ).toBe(true)
  })

  it('a missing root is BlockNotFoundError before any byte; a block missing mid-walk errors the stream', async () => {
    const { cars } = listableCarStore()
    const missing = rawBlock(randomBytes(10))
    const node = cborBlock({ missing: missing.cid })
    // incomplete: served by the walk, which reaches the missing block after the header and root
    await cars.importCar(carOf([node.cid], [node]))
    const chunks: Uint8Array[] = []
    await expect(
      (async () => {
        for await (const chunk of cars.exportCar(node.cid)) chunks.push(chunk)
      })(),
    ).rejects.toMatchObject({
      name: 'BlockNotFoundError',
      cid: expect.objectContaining({ bytes: missing.cid.bytes }),
    })
    expect(chunks.length).toBe(2)
    const iterator = cars.exportCar(missing.cid)
    await expect(iterator.next()).rejects.toMatchObject({ name: 'BlockNotFoundError' })
  })

  it('exports a CAR without blocks? no: a root that is not stored has no CAR', async () => {
    const { cars } = listableCarStore()
    await cars.importCar(headerOf([root]))
    await expect(cars.exportCar(root).next()).rejects.toMatchObject({ name: 'BlockNotFoundError' })
  })
})
