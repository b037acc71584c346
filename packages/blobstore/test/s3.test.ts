import { FlatfsKeyEncoder, STAGING_PREFIX, VerifiedBlobStore } from '@strata/blobstore'
import { blobStoreSuite, digestOf } from '@strata/blobstore/testing'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { chunked, listKeys, utf8 } from '@strata/objectstore/testing'
import { createTestBucket, describeS3, incompleteUploads, type TestBucket } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const MiB = 1024 * 1024

describeS3('VerifiedBlobStore on the S3 test server', (settings) => {
  let suiteBucket: TestBucket
  let suiteBackend: MinioObjectStore
  blobStoreSuite('s3 (minio client, Flatfs keys)', {
    create: async () => {
      suiteBucket = await createTestBucket(settings, 'blobs-suite')
      suiteBackend = new MinioObjectStore({ client: suiteBucket.client, bucket: suiteBucket.name })
      await suiteBackend.open()
      return new VerifiedBlobStore({ backend: suiteBackend, keyEncoder: new FlatfsKeyEncoder() })
    },
    staging: () => listKeys(suiteBackend, STAGING_PREFIX),
    destroy: async () => {
      await suiteBucket.destroy()
    },
    supports: { largeBlobSize: 64 * MiB },
  })

  describe('VerifiedBlobStore on S3 specifics', () => {
    let bucket: TestBucket
    let backend: MinioObjectStore
    let blobs: VerifiedBlobStore
    beforeAll(async () => {
      bucket = await createTestBucket(settings, 'blobs-specifics')
      backend = new MinioObjectStore({ client: bucket.client, bucket: bucket.name, partSize: 5 * MiB })
      await backend.open()
      blobs = new VerifiedBlobStore({ backend, keyEncoder: new FlatfsKeyEncoder() })
    })
    afterAll(async () => {
      await bucket.destroy()
    })

    it("stores a blob under Piri's S3 key <shard>/<base32>.data", async () => {
      await blobs.put(digestOf(utf8('hello world')), 11, utf8('hello world'))
      const keys: string[] = []
      for await (const key of backend.list('32/')) keys.push(key)
      expect(keys).toEqual(['32/ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i.data'])
    })

    it('aborts the multipart upload of a blob that fails verification', async () => {
      const bytes = new Uint8Array(12 * MiB).fill(3)
      const wrong = digestOf(new Uint8Array(12 * MiB).fill(4))
      await expect(blobs.put(wrong, bytes.length, chunked(bytes, MiB))).rejects.toMatchObject({
        name: 'DigestMismatchError',
      })
      expect(await blobs.has(wrong)).toBe(false)
      expect(await incompleteUploads(bucket.client, bucket.name, blobs.keyOf(wrong))).toEqual([])
    })
  })
})
