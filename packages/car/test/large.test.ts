import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BlobStore, VerifiedBlobStore } from '@strata/blobstore'
import type { ObjectStore } from '@strata/objectstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { LevelObjectStore } from '@strata/objectstore/level'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { peakMemoryGrowth } from '@strata/objectstore/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { type BlockIndex, CarStore } from '../src/index.js'
import { LevelBlockIndex } from '../src/level/index.js'
import { MemoryBlockIndex } from '../src/memory/index.js'
import { largeCar } from '../src/testing/data.js'
import { expectEveryBlock } from './large-helpers.js'

const MiB = 1024 * 1024
// 128 MiB of ~1 KiB dag-cbor leaves: 131,072 leaves + 4,229 interior nodes, an ATProto-sized repo
const repo = largeCar({ leaves: 131_072, leafSize: 1024 })

interface Backend {
  blobs: BlobStore
  index: BlockIndex
  records: ObjectStore
  close(): Promise<void>
}

async function filesystem(): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-car-'))
  const flatfs = new FlatfsObjectStore({ path: join(dir, 'blobs') })
  const index = new LevelBlockIndex({ path: join(dir, 'car-index') })
  const records = new LevelObjectStore({ path: join(dir, 'car-records') })
  await Promise.all([flatfs.open(), index.open(), records.open()])
  return {
    blobs: new VerifiedBlobStore({ backend: flatfs }),
    index,
    records,
    close: async () => {
      await Promise.all([flatfs.close(), index.close(), records.close()])
      await rm(dir, { recursive: true, force: true })
    },
  }
}

const backends: Array<[string, () => Promise<Backend>]> = [
  [
    'memory',
    async () => ({
      blobs: new VerifiedBlobStore({ backend: new MemoryObjectStore() }),
      index: new MemoryBlockIndex(),
      records: new MemoryObjectStore(),
      close: async () => {},
    }),
  ],
  ['filesystem (flatfs blobs, LevelDB index and records)', filesystem],
]

describe('a 128 MiB CAR of ~1 KiB blocks (135,301 blocks)', () => {
  for (const [name, make] of backends) {
    it(`imports and reads every block back verified: ${name}`, async () => {
      const backend = await make()
      try {
        const cars = new CarStore(backend)
        const started = performance.now()
        const result = await cars.importCar(repo.stream())
        const seconds = (performance.now() - started) / 1000
        console.log(
          `${name}: imported ${result.blocks} blocks (${(result.size / MiB).toFixed(0)} MiB) in ${seconds.toFixed(1)} s`,
        )
        expect(result).toMatchObject({ blocks: 135_301, complete: true, created: true })
        expect(result.roots[0]?.toString()).toBe(repo.root().toString())
        await expectEveryBlock(cars, repo, 16)
      } finally {
        await backend.close()
      }
    })
  }
})

describe('a 1 GiB CAR of 256 KiB blocks on flatfs', () => {
  let backend: Backend | undefined
  afterAll(async () => {
    await backend?.close()
  })

  it('imports with bounded memory', async () => {
    backend = await filesystem()
    const cars = new CarStore(backend)
    const car = largeCar({ leaves: 4096, leafSize: 256 * 1024, leafCodec: 'raw' })
    car.root()
    let blocks = 0
    const started = performance.now()
    const growth = await peakMemoryGrowth(async () => {
      blocks = (await cars.importCar(car.stream())).blocks
    })
    const seconds = (performance.now() - started) / 1000
    console.log(
      `1 GiB of 256 KiB blocks on flatfs: ${seconds.toFixed(1)} s, peak memory growth ${(growth / MiB).toFixed(1)} MiB`,
    )
    expect(blocks).toBe(4096 + 133)
    expect(growth).toBeLessThan(64 * MiB)
  })
})
