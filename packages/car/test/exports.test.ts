import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAsPlainNode } from '@strata/testkit'
import { describe, expect, it } from 'vitest'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')

// A user's plain Node ESM script, outside the monorepo's tooling, importing the built package.
const script = `
import { CarStore, inspectCar, BlockNotFoundError } from '@strata/car'
import { MemoryBlockIndex } from '@strata/car/memory'
import { LevelBlockIndex } from '@strata/car/level'
import { S3BlockIndex } from '@strata/car/s3'
import { carOf, sampleDag } from '@strata/car/testing/data'
import { VerifiedBlobStore } from '@strata/blobstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'

const { root, blocks } = sampleDag()
const car = carOf([root], blocks)
const cars = new CarStore({
  blobs: new VerifiedBlobStore({ backend: new MemoryObjectStore() }),
  index: new MemoryBlockIndex(),
  records: new MemoryObjectStore(),
})
const result = await cars.importCar(car)
const leaf = await cars.getBlock(blocks[2].cid)
const missing = await cars.getBlock(result.index).catch((error) => error instanceof BlockNotFoundError)
const report = await inspectCar(car)
let exported = 0
for await (const chunk of cars.exportCar(root)) exported += chunk.byteLength
console.log(JSON.stringify({
  blocks: result.blocks,
  leaf: new TextDecoder().decode(leaf),
  missing,
  codecs: report.codecs,
  exported: exported === car.byteLength,
  backends: [typeof LevelBlockIndex, typeof S3BlockIndex],
}))
console.log(import.meta.resolve('@strata/car/testing'))
`

describe('package exports', () => {
  it('are importable from a plain Node ESM script', async () => {
    const stdout = await runAsPlainNode({
      name: '@strata/car',
      packageDir,
      alongside: ['@strata/blobstore', '@strata/objectstore', 'datastore-level'],
      script,
    })
    const [result, testing] = stdout.trim().split('\n')
    expect(JSON.parse(result ?? '')).toEqual({
      blocks: 7,
      leaf: 'leaf a',
      missing: true,
      codecs: { 'dag-cbor': 1, 'dag-pb': 1, raw: 4, 'dag-json': 1 },
      exported: true,
      backends: ['function', 'function'],
    })
    expect(testing).toMatch(/car\/dist\/testing\/index\.js$/)
  })
})
