import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BlobStore, VerifiedBlobStore } from '@strata/blobstore'
import type { ObjectStore } from '@strata/objectstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { LevelObjectStore } from '@strata/objectstore/level'
import { varint } from 'multiformats'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { expect } from 'vitest'
import type { BlockIndex, CarStore } from '../src/index.js'
import { LevelBlockIndex } from '../src/level/index.js'
import type { S3BlockIndex } from '../src/s3/index.js'
import { headerOf, type largeCar } from '../src/testing/data.js'

/**
 * Reads every block of a generated CAR back through `getBlock` (`concurrency` at a time), or each
 * with probability `share` (an even sample, fixed by the block's index), and checks its bytes.
 * `getBlock` itself re-hashes each one. Answers how many were read.
 */
export async function expectEveryBlock(
  cars: CarStore,
  car: ReturnType<typeof largeCar>,
  concurrency: number,
  share = 1,
): Promise<number> {
  let checked = 0
  let seen = 0
  const running = new Set<Promise<void>>()
  for (const block of car.blocks()) {
    if (share < 1 && Math.floor(seen * share) === Math.floor(++seen * share)) continue
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
  return checked
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

/**
 * Checks every block of a generated CAR through the S3 index in bulk: the whole index is listed
 * (one LIST per 1,000 entries) and each block's entry must name `digest` at the block's exact
 * offset and length in the CAR; the stored CAR is read once and must hash to `digest`. Then the
 * bytes `getBlock` reads at each entry are the block's (what `getBlock` re-hashes anyway). Answers
 * the number of blocks checked.
 */
export async function expectEveryEntry(
  index: S3BlockIndex,
  blobs: BlobStore,
  car: ReturnType<typeof largeCar>,
  digest: MultihashDigest,
): Promise<number> {
  const entries = new Map<string, { offset: number; length: number }>()
  const carName = Buffer.from(digest.bytes).toString('latin1')
  for await (const { block, location } of index.entries()) {
    if (Buffer.from(location.blob.bytes).toString('latin1') !== carName) continue
    entries.set(Buffer.from(block.bytes).toString('latin1'), location)
  }
  let offset = headerOf([car.root()]).byteLength
  let checked = 0
  for (const block of car.blocks()) {
    const length = block.cid.bytes.byteLength + block.bytes.byteLength
    const data = offset + varint.encodingLength(length) + block.cid.bytes.byteLength
    const entry = entries.get(Buffer.from(block.cid.multihash.bytes).toString('latin1'))
    if (entry?.offset !== data || entry.length !== block.bytes.byteLength) {
      throw new Error(
        `block ${block.cid}: index entry ${JSON.stringify(entry)}, expected ${data}+${block.bytes.byteLength}`,
      )
    }
    offset = data + block.bytes.byteLength
    checked++
  }
  expect(entries.size).toBe(checked)
  const hash = createHash('sha256')
  for await (const chunk of (await blobs.get(digest)).body) hash.update(chunk)
  expect(Buffer.from(hash.digest())).toEqual(Buffer.from(digest.digest))
  return checked
}
