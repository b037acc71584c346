import { FlatfsKeyEncoder, VerifiedBlobStore } from '@strata/blobstore'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { peakMemoryGrowth } from '@strata/objectstore/testing'
import { createTestBucket, describeS3, type TestBucket } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CarStore } from '../src/index.js'
import { S3BlockIndex } from '../src/s3/index.js'
import { blockIndexSuite, largeCar } from '../src/testing/index.js'
import { expectEveryBlock } from './large-helpers.js'

const MiB = 1024 * 1024
// The full 128 MiB repo (135,301 blocks = 135,301 PUTs of index entries, then 3 requests a block to
// read them all back) takes minutes on the test server: on demand with STRATA_TEST_CAR_FULL=1.
const full = process.env.STRATA_TEST_CAR_FULL === '1'
const leaves = full ? 131_072 : 8192
const blockCount = full ? 135_301 : 8192 + 265

describeS3('@strata/car on the S3 test server', (settings) => {
  let suiteBucket: TestBucket
  blockIndexSuite('S3 (RGW)', {
    create: async () => {
      suiteBucket = await createTestBucket(settings, 'car-index-suite')
      const backend = new MinioObjectStore({ client: suiteBucket.client, bucket: suiteBucket.name })
      await backend.open()
      return new S3BlockIndex({ backend, prefix: 'blocks/' })
    },
    destroy: () => suiteBucket.destroy(),
    supports: { largeBatch: 500, replacesPairs: false },
  })

  describe('CarStore on S3 (one bucket each for blobs, block index, records)', () => {
    const buckets: TestBucket[] = []
    let cars: CarStore
    beforeAll(async () => {
      const open = async (label: string) => {
        const bucket = await createTestBucket(settings, label)
        buckets.push(bucket)
        const backend = new MinioObjectStore({ client: bucket.client, bucket: bucket.name })
        await backend.open()
        return backend
      }
      const [blobs, index, records] = [
        await open('car-blobs'),
        await open('car-index'),
        await open('car-records'),
      ]
      cars = new CarStore({
        blobs: new VerifiedBlobStore({ backend: blobs, keyEncoder: new FlatfsKeyEncoder() }),
        index: new S3BlockIndex({ backend: index, concurrency: 64 }),
        records,
      })
    })
    afterAll(async () => {
      for (const bucket of buckets) await bucket.destroy()
    })

    it(`imports a CAR of ${blockCount} ~1 KiB blocks and reads every block back verified`, {
      timeout: 3_600_000,
    }, async () => {
      const repo = largeCar({ leaves, leafSize: 1024 })
      repo.root()
      const started = performance.now()
      const result = await cars.importCar(repo.stream())
      const seconds = (performance.now() - started) / 1000
      console.log(`S3 (RGW): imported ${result.blocks} blocks in ${seconds.toFixed(1)} s`)
      expect(result).toMatchObject({ blocks: blockCount, complete: true })
      const reading = performance.now()
      await expectEveryBlock(cars, repo, 64)
      console.log(
        `S3 (RGW): read ${result.blocks} blocks back in ${((performance.now() - reading) / 1000).toFixed(1)} s`,
      )
    })

    it('imports a 256 MiB CAR of 256 KiB blocks with bounded memory', async () => {
      const car = largeCar({ leaves: 1024, leafSize: 256 * 1024, leafCodec: 'raw' })
      car.root()
      let blocks = 0
      // the declared size keeps the S3 upload's parts at 8 MiB (undeclared, the minio backend sizes
      // parts for a 5 TiB object: ~500 MiB buffered)
      const growth = await peakMemoryGrowth(async () => {
        blocks = (await cars.importCar(car.stream(), { size: car.size() })).blocks
      })
      console.log(`S3 (RGW): 256 MiB of 256 KiB blocks, peak memory growth ${(growth / MiB).toFixed(1)} MiB`)
      expect(blocks).toBe(1024 + 33)
      expect(growth).toBeLessThan(96 * MiB)
    })
  })
})
