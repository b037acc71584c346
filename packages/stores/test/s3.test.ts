import { MinioObjectStore } from '@strata/objectstore/minio'
import { createTestBucket, describeS3, type TestBucket } from '@strata/testkit'
import { storesSuite } from './suite/index.js'

// The S3 layout as the server wires it: record keys end in `.cbor`. One fresh bucket per run,
// removed afterwards (the test server keeps its data in RAM).
describeS3('@strata/stores against the S3 test server', (settings) => {
  let bucket: TestBucket | undefined
  storesSuite('S3 (MinioObjectStore on Ceph RGW, keySuffix .cbor)', {
    keySuffix: '.cbor',
    create: async () => {
      bucket = await createTestBucket(settings, 'stores')
      const store = new MinioObjectStore({ client: bucket.client, bucket: bucket.name })
      await store.open()
      return store
    },
    destroy: async (store) => {
      await store.close()
      await bucket?.destroy()
    },
  })
})
