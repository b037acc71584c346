/**
 * `abortIncompleteUploads(olderThan)`: the left-overs of a writer that died mid multipart upload
 * are aborted; uploads started since the cut-off (maybe a live writer's) are kept. Real S3 server.
 */
import { MinioObjectStore } from '@strata/objectstore/minio'
import { createTestBucket, describeS3, incompleteUploads, type TestBucket } from '@strata/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'

describeS3('MinioObjectStore.abortIncompleteUploads', (settings) => {
  let bucket: TestBucket
  let store: MinioObjectStore

  beforeAll(async () => {
    bucket = await createTestBucket(settings, 'sweep')
    store = new MinioObjectStore({ client: bucket.client, bucket: bucket.name })
    await store.open()
  })
  afterAll(async () => {
    await bucket?.destroy()
  })

  it('aborts the uploads started before the cut-off and keeps the others', async () => {
    const keys = ['12/a.data', '12/a.data', '34/b.data', 'allocations/z/did.cbor']
    const ids: string[] = []
    for (const key of keys) ids.push(await bucket.client.initiateNewMultipartUpload(bucket.name, key, {}))
    await store.put('12/done.data', 3, new Uint8Array([1, 2, 3]))

    // a cut-off a minute back: every upload is newer, so all are kept
    expect(await store.abortIncompleteUploads(new Date(Date.now() - 60_000))).toEqual({ aborted: 0, kept: 4 })
    expect((await incompleteUploads(bucket.client, bucket.name)).map((u) => u.uploadId).sort()).toEqual(
      [...ids].sort(),
    )

    // a cut-off a minute ahead: every upload is older, so all are aborted; objects are untouched
    expect(await store.abortIncompleteUploads(new Date(Date.now() + 60_000))).toEqual({ aborted: 4, kept: 0 })
    expect(await incompleteUploads(bucket.client, bucket.name)).toEqual([])
    expect(await store.has('12/done.data')).toBe(true)
    expect(await store.abortIncompleteUploads(new Date(Date.now() + 60_000))).toEqual({ aborted: 0, kept: 0 })
  })
})
