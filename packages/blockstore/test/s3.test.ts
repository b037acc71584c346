import { FlatfsKeyEncoder, VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { S3BlockIndex } from '@strata/car/s3'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { createTestBucket, describeS3, emptyBucket, type TestBucket } from '@strata/testkit'
import { interfaceBlockstoreTests } from 'interface-blockstore-tests'
import { afterAll, beforeAll, describe } from 'vitest'
import { StrataBlockstore } from '../src/index.js'

describeS3('StrataBlockstore on the S3 test server', (settings) => {
  // One bucket for blobs, one for the block index and CAR records, emptied after every test.
  let blobsBucket: TestBucket
  let indexBucket: TestBucket
  beforeAll(async () => {
    blobsBucket = await createTestBucket(settings, 'blockstore-blobs')
    indexBucket = await createTestBucket(settings, 'blockstore-index')
  })
  afterAll(async () => {
    await blobsBucket?.destroy()
    await indexBucket?.destroy()
  })

  describe('interface-blockstore-tests', () => {
    interfaceBlockstoreTests({
      setup: async () => {
        const backend = new MinioObjectStore({ client: blobsBucket.client, bucket: blobsBucket.name })
        const records = new MinioObjectStore({ client: indexBucket.client, bucket: indexBucket.name })
        await Promise.all([backend.open(), records.open()])
        const blobs = new VerifiedBlobStore({ backend, keyEncoder: new FlatfsKeyEncoder() })
        const index = new S3BlockIndex({ backend: records, prefix: 'blocks/' })
        return new StrataBlockstore({ blobs, cars: new CarStore({ blobs, index, records }) })
      },
      teardown: async () => {
        await emptyBucket(blobsBucket.client, blobsBucket.name)
        await emptyBucket(indexBucket.client, indexBucket.name)
      },
    })
  })
})
