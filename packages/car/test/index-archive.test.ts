import { randomBytes } from 'node:crypto'
import { ShardedDAGIndex } from '@storacha/blob-index'
import { fromShardArchives } from '@storacha/blob-index/util'
import { base58btc } from 'multiformats/bases/base58'
import type { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { carOf, cborBlock, largeCar, rawBlock, sampleDag, type TestBlock } from '../src/testing/data.js'
import { bytesOf, listableCarStore } from './helpers.js'

/** Imports `car` and answers its index archive as stored, and the CAR's digest. */
async function importAndReadIndex(car: Uint8Array) {
  const store = listableCarStore()
  const result = await store.cars.importCar(car)
  const archive = await bytesOf((await store.blobs.get(result.index.multihash)).body)
  return { result, archive }
}

/** Storacha's view of an archive: shard → slice → [offset, length], keyed by base58btc multihash. */
function positions(archive: Uint8Array) {
  const extracted = ShardedDAGIndex.extract(archive)
  if (extracted.error) throw extracted.error
  const index = extracted.ok
  const shards: Record<string, Record<string, [number, number]>> = {}
  for (const [shard, slices] of index.shards.entries()) {
    const found: Record<string, [number, number]> = {}
    for (const [slice, position] of slices.entries()) found[base58btc.encode(slice.bytes)] = position
    shards[base58btc.encode(shard.bytes)] = found
  }
  return { content: index.content.toString(), shards }
}

const cases: Array<[string, () => { roots: CID[]; blocks: TestBlock[] }]> = [
  [
    'the sample DAG (dag-cbor, dag-pb, dag-json, raw, sha2-512, identity)',
    () => {
      const { root, blocks } = sampleDag()
      return { roots: [root], blocks }
    },
  ],
  [
    'a CAR holding one block twice',
    () => {
      const leaf = rawBlock(randomBytes(100))
      const node = cborBlock({ leaf: leaf.cid })
      return { roots: [node.cid], blocks: [leaf, node, leaf] }
    },
  ],
]

describe('index/sharded/dag@0.1 archive, against @storacha/blob-index', () => {
  for (const [what, make] of cases) {
    it(`is byte for byte the archive Storacha builds with fromShardArchives: ${what}`, async () => {
      const { roots, blocks } = make()
      const car = carOf(roots, blocks)
      const { result, archive } = await importAndReadIndex(car)
      const oracle = await fromShardArchives(roots[0] as never, [car])
      const archived = await oracle.archive()
      if (archived.error) throw archived.error
      expect(Buffer.from(archive).equals(Buffer.from(archived.ok))).toBe(true)
      const view = positions(archive)
      expect(view.content).toBe(roots[0]?.toString())
      expect(Object.keys(view.shards)).toEqual([base58btc.encode(result.digest.bytes)])
    })
  }

  it('gives the same positions as Storacha for a 5,000-block CAR, and each points at the block data', async () => {
    const big = largeCar({ leaves: 5000, leafSize: 300 })
    const car = await bytesOf(big.stream())
    const { archive } = await importAndReadIndex(car)
    const oracle = await fromShardArchives(big.root() as never, [car])
    const archived = await oracle.archive()
    if (archived.error) throw archived.error
    expect(positions(archive)).toEqual(positions(archived.ok))
    const [slices] = Object.values(positions(archive).shards)
    const [first] = Object.entries(slices ?? {})
    const [offset, length] = first?.[1] ?? [0, 0]
    expect(length).toBeGreaterThan(0)
    expect(offset + length).toBeLessThanOrEqual(car.byteLength)
  })
})
