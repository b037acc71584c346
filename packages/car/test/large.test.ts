import { VerifiedBlobStore } from '@strata/blobstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { describe, expect, it } from 'vitest'
import { CarStore } from '../src/index.js'
import { MemoryBlockIndex } from '../src/memory/index.js'
import { largeCar } from '../src/testing/data.js'
import { type Backend, expectEveryBlock, filesystem } from './large-helpers.js'

const MiB = 1024 * 1024
// 128 MiB of ~1 KiB dag-cbor leaves: 131,072 leaves + 4,229 interior nodes, an ATProto-sized repo
const repo = largeCar({ leaves: 131_072, leafSize: 1024 })

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
