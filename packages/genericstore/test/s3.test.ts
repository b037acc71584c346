import { genericStoreSuite } from '@strata/genericstore/testing'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { createTestBucket, describeS3, type TestBucket } from '@strata/testkit'

describeS3('GenericStore on the S3 test server', (settings) => {
  let bucket: TestBucket
  genericStoreSuite('s3 (minio client)', {
    createBackend: async () => {
      bucket = await createTestBucket(settings, 'records')
      const backend = new MinioObjectStore({ client: bucket.client, bucket: bucket.name })
      await backend.open()
      return backend
    },
    destroy: async () => {
      await bucket.destroy()
    },
  })
})
