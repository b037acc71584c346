import { randomBytes } from 'node:crypto'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { chunked, randomKey, readAll } from '@strata/objectstore/testing'
import { createTestBucket, describeS3, type TestBucket } from '@strata/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'

const MiB = 1024 * 1024

// Objects are plain S3 objects: any S3 client reads what strata writes, and strata reads what
// any S3 client writes.
describeS3('MinioObjectStore interoperability with @aws-sdk/client-s3', (settings) => {
  let bucket: TestBucket
  let store: MinioObjectStore
  const sdk = new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    credentials: { accessKeyId: settings.accessKey, secretAccessKey: settings.secretKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  beforeAll(async () => {
    bucket = await createTestBucket(settings, 'interop')
    store = new MinioObjectStore({ client: bucket.client, bucket: bucket.name, partSize: 5 * MiB })
    await store.open()
  })
  afterAll(async () => {
    await bucket.destroy()
    sdk.destroy()
  })

  const sdkGet = async (key: string, range?: string) => {
    const answer = await sdk.send(new GetObjectCommand({ Bucket: bucket.name, Key: key, Range: range }))
    return {
      bytes: Buffer.from((await answer.Body?.transformToByteArray()) ?? []),
      contentRange: answer.ContentRange,
    }
  }

  for (const [label, size] of [
    ['a small object (one PutObject)', 1000],
    ['a multipart object', 11 * MiB + 3],
  ] as const) {
    it(`reads ${label} written by strata byte for byte, whole and ranged`, async () => {
      const key = `${randomKey('interop')}/by strata+ü`
      const bytes = randomBytes(size)
      await store.put(key, size, chunked(bytes, 65_536))
      expect((await sdkGet(key)).bytes.equals(bytes)).toBe(true)
      const ranged = await sdkGet(key, `bytes=100-${size - 2}`)
      expect(ranged.bytes.equals(bytes.subarray(100, size - 1))).toBe(true)
      expect(ranged.contentRange).toBe(`bytes 100-${size - 2}/${size}`)
      const head = await sdk.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key }))
      expect(head.ContentLength).toBe(size)
      await store.delete(key)
      await expect(sdk.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key }))).rejects.toMatchObject({
        name: 'NotFound',
      })
    })
  }

  it('reads, ranges, lists and deletes an object written by the AWS SDK', async () => {
    const key = `${randomKey('interop')}/by sdk&=?`
    const bytes = randomBytes(3 * MiB + 11)
    await sdk.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: bytes }))
    expect(await store.has(key)).toBe(true)
    const whole = await store.get(key)
    expect(whole.size).toBe(bytes.length)
    expect(Buffer.from(await readAll(whole.body)).equals(bytes)).toBe(true)
    const ranged = await store.get(key, { range: { start: MiB, end: 2 * MiB } })
    expect(ranged.size).toBe(bytes.length)
    expect(Buffer.from(await readAll(ranged.body)).equals(bytes.subarray(MiB, 2 * MiB + 1))).toBe(true)
    const tail = await store.get(key, { range: { start: bytes.length - 5 } })
    expect(Buffer.from(await readAll(tail.body)).equals(bytes.subarray(-5))).toBe(true)
    const listed: string[] = []
    for await (const found of store.list(key.slice(0, -3))) listed.push(found)
    expect(listed).toEqual([key])
    await store.delete(key)
    await expect(sdk.send(new GetObjectCommand({ Bucket: bucket.name, Key: key }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    })
    await sdk.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: key }))
  })
})
