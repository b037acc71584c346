import { CarBlockIterator } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import { VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { MemoryBlockIndex } from '@strata/car/memory'
import { blockOf, carOf, cborBlock, rawBlock, sampleDag, type TestBlock } from '@strata/car/testing/data'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { StrataBlockstore } from '../src/index.js'

const bytesOf = (text: string) => new TextEncoder().encode(text)

function stores() {
  const blobs = new VerifiedBlobStore({ backend: new MemoryObjectStore() })
  const cars = new CarStore({ blobs, index: new MemoryBlockIndex(), records: new MemoryObjectStore() })
  return { cars, store: new StrataBlockstore({ blobs, cars }) }
}

async function parse(stream: AsyncIterable<Uint8Array>) {
  const chunks: Uint8Array[] = []
  for await (const chunk of stream) chunks.push(chunk)
  const iterator = await CarBlockIterator.fromBytes(Buffer.concat(chunks))
  const blocks: string[] = []
  for await (const block of iterator) {
    // every block in the CAR is the one its CID names
    const expected = blockOf(
      block.bytes,
      block.cid.code,
      block.cid.multihash.code === 0x13 ? 'sha2-512' : 'sha2-256',
    )
    expect(expected.cid.equals(block.cid)).toBe(true)
    blocks.push(block.cid.toString())
  }
  return { roots: (await iterator.getRoots()).map(String), blocks }
}

/** A dag-pb node with UnixFS `Data` (`Type` = `type`, HAMT fanout 256) and named links. */
function unixfsNode(type: number, links: [string, TestBlock][]): TestBlock {
  const data = type === 5 ? new Uint8Array([0x08, 5, 0x30, 0x80, 0x02]) : new Uint8Array([0x08, type])
  const node = dagPb.prepare({
    Data: data,
    Links: links.map(([name, block]) => ({ Name: name, Hash: block.cid, Tsize: block.bytes.byteLength })),
  })
  return blockOf(dagPb.encode(node), dagPb.code)
}

const cidsOf = (blocks: TestBlock[]) => blocks.map((block) => block.cid.toString())

describe('StrataBlockstore.exportCar: the CAR the Trustless Gateway serves (order=dfs, dups=n)', () => {
  it('dag-scope=all: depth first, each block once, identity blocks left out', async () => {
    const { store, cars } = stores()
    const { root, blocks } = sampleDag()
    await cars.importCar(carOf([root], blocks))
    const exported = await parse(store.exportCar(root))
    expect(exported.roots).toEqual([root.toString()])
    // sampleDag lists its blocks depth first, the identity block included, the shared leaf once
    expect(exported.blocks).toEqual(cidsOf(blocks.filter((block) => block.cid.multihash.code !== 0)))
  })

  it('reads blocks wherever they are: some put through the blockstore, some inside a CAR', async () => {
    const { store, cars } = stores()
    const leaf = rawBlock(bytesOf('a leaf put as a blob'))
    const inCar = rawBlock(bytesOf('a leaf inside a CAR'))
    const root = cborBlock({ a: leaf.cid, b: inCar.cid })
    await store.put(root.cid, root.bytes)
    await store.put(leaf.cid, leaf.bytes)
    await cars.importCar(carOf([inCar.cid], [inCar]))
    expect((await parse(store.exportCar(root.cid))).blocks).toEqual(cidsOf([root, leaf, inCar]))
  })

  it('dag-scope=block: the root alone; entity: a whole UnixFS file, a directory without its entries', async () => {
    const { store } = stores()
    const [a, b, c] = ['chunk a', 'chunk b', 'chunk c'].map((text) => rawBlock(bytesOf(text))) as [
      TestBlock,
      TestBlock,
      TestBlock,
    ]
    const inner = unixfsNode(2, [
      ['', b],
      ['', c],
    ])
    const file = unixfsNode(2, [
      ['', a],
      ['', inner],
    ])
    const other = rawBlock(bytesOf('another file'))
    const dir = unixfsNode(1, [
      ['file', file],
      ['other', other],
    ])
    const subShard = unixfsNode(5, [['0Cother', other]])
    const hamt = unixfsNode(5, [
      ['0A', subShard],
      ['0Bfile', file],
    ])
    const cbor = cborBlock({ dir: dir.cid })
    for (const block of [a, b, c, inner, file, other, dir, subShard, hamt, cbor])
      await store.put(block.cid, block.bytes)

    expect((await parse(store.exportCar(dir.cid, { scope: 'block' }))).blocks).toEqual(cidsOf([dir]))
    expect((await parse(store.exportCar(file.cid, { scope: 'entity' }))).blocks).toEqual(
      cidsOf([file, a, inner, b, c]),
    )
    expect((await parse(store.exportCar(dir.cid, { scope: 'entity' }))).blocks).toEqual(cidsOf([dir]))
    expect((await parse(store.exportCar(hamt.cid, { scope: 'entity' }))).blocks).toEqual(
      cidsOf([hamt, subShard]),
    )
    expect((await parse(store.exportCar(cbor.cid, { scope: 'entity' }))).blocks).toEqual(cidsOf([cbor]))
    expect((await parse(store.exportCar(cbor.cid, { scope: 'all' }))).blocks).toEqual(
      cidsOf([cbor, dir, file, a, inner, b, c, other]),
    )
  })

  it('the identity probe root bafkqaaa: a header with that root and no blocks', async () => {
    const { store } = stores()
    expect(await parse(store.exportCar(CID.parse('bafkqaaa')))).toEqual({ roots: ['bafkqaaa'], blocks: [] })
  })

  it('a missing root fails before any byte; a missing block later errors the stream after the root', async () => {
    const { store } = stores()
    const missing = rawBlock(bytesOf('never stored'))
    const chunks: Uint8Array[] = []
    const run = async (root: CID) => {
      for await (const chunk of store.exportCar(root)) chunks.push(chunk)
    }
    await expect(run(missing.cid)).rejects.toMatchObject({ name: 'NotFoundError' })
    expect(chunks).toEqual([])
    const root = cborBlock({ gone: missing.cid })
    await store.put(root.cid, root.bytes)
    await expect(run(root.cid)).rejects.toMatchObject({ name: 'NotFoundError' })
    expect(chunks.length).toBeGreaterThan(1) // header and root went out first
  })
})
