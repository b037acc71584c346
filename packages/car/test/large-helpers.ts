import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BlobStore, VerifiedBlobStore } from '@strata/blobstore'
import type { ObjectStore } from '@strata/objectstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { LevelObjectStore } from '@strata/objectstore/level'
import { expect } from 'vitest'
import type { BlockIndex, CarStore } from '../src/index.js'
import { LevelBlockIndex } from '../src/level/index.js'
import type { largeCar } from '../src/testing/data.js'

/**
 * Reads every block of a generated CAR back through `getBlock` (`concurrency` at a time) and
 * checks its bytes. `getBlock` itself re-hashes each one.
 */
export async function expectEveryBlock(
  cars: CarStore,
  car: ReturnType<typeof largeCar>,
  concurrency: number,
): Promise<void> {
  let checked = 0
  const running = new Set<Promise<void>>()
  for (const block of car.blocks()) {
    const read = cars.getBlock(block.cid).then((bytes) => {
      if (Buffer.compare(bytes, block.bytes) !== 0) throw new Error(`block ${block.cid} differs`)
      checked++
      running.delete(read)
    })
    running.add(read)
    if (running.size >= concurrency) await Promise.race(running)
  }
  await Promise.all(running)
  expect(checked).toBeGreaterThan(0)
}

/** The parts of a CarStore and how to release them. */
export interface Backend {
  blobs: BlobStore
  index: BlockIndex
  records: ObjectStore
  close(): Promise<void>
}

/** Filesystem mode in a temp directory: flatfs blobs, LevelDB index and records. */
export async function filesystem(): Promise<Backend> {
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
