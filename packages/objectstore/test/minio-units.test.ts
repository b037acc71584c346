import { MinioObjectStore } from '@strata/objectstore/minio'
import { s3TestEnv } from '@strata/testkit'
import { Client } from 'minio'
import { describe, expect, it } from 'vitest'
import { extentOf, sizeFrom416 } from '../src/minio/download.js'
import { parseListPage } from '../src/minio/list.js'
import { partSizeFor } from '../src/minio/upload.js'

const MiB = 1024 * 1024
const client = () =>
  new Client({ endPoint: '127.0.0.1', port: 9, useSSL: false, accessKey: 'a', secretKey: 'b' })

describe('MinioObjectStore options', () => {
  it('validates options without I/O', () => {
    expect(() => new MinioObjectStore({ client: client(), bucket: 'b', partSize: 4 * MiB })).toThrow(
      RangeError,
    )
    expect(() => new MinioObjectStore({ client: client(), bucket: 'b', requestTimeoutMs: 0 })).toThrow(
      RangeError,
    )
    expect(() => new MinioObjectStore({ client: client(), bucket: 'b', listPageSize: 1001 })).toThrow(
      RangeError,
    )
    expect(() => new MinioObjectStore({ client: {} as Client, bucket: 'b' })).toThrow(TypeError)
  })

  it('instruments a shared client once', () => {
    const shared = client()
    new MinioObjectStore({ client: shared, bucket: 'a' })
    const transport = (shared as unknown as { transport: unknown }).transport
    new MinioObjectStore({ client: shared, bucket: 'b' })
    expect((shared as unknown as { transport: unknown }).transport).toBe(transport)
  })

  it('grows the part size only past 10,000 parts', () => {
    expect(partSizeFor(4_261_412_864, 8 * MiB)).toBe(8 * MiB)
    expect(partSizeFor(10_000 * 8 * MiB + 1, 8 * MiB)).toBe(9 * MiB)
  })
})

describe('ListObjectsV2 parsing', () => {
  const page = (body: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</ListBucketResult>`

  it('keeps numeric-looking keys and tokens as strings, and URL-decodes keys', () => {
    const xml = page(
      '<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>' +
        '<Contents><Key>00</Key><Size>1</Size></Contents><Contents><Key>a+b%2Bc%26%C3%BC</Key></Contents>' +
        '<NextContinuationToken>0123&amp;x</NextContinuationToken>',
    )
    expect(parseListPage(xml)).toEqual({ keys: ['00', 'a b+c&ü'], next: '0123&x' })
  })

  it('reads XML-escaped keys when the server ignored encoding-type', () => {
    const xml = page('<IsTruncated>false</IsTruncated><Contents><Key>a+&lt;b&#x26;&#38;</Key></Contents>')
    expect(parseListPage(xml)).toEqual({ keys: ['a+<b&&'], next: undefined })
  })

  it('rejects documents that are not a listing, and truncated pages without a token', () => {
    expect(() => parseListPage('<Error><Code>x</Code></Error>')).toThrow(/ListBucketResult/)
    expect(() => parseListPage(page('<IsTruncated>true</IsTruncated>'))).toThrow(/NextContinuationToken/)
  })
})

describe('GET answers', () => {
  it('reads the total size from Content-Range (S3 clamps the end) or Content-Length', () => {
    expect(extentOf(206, { 'content-range': 'bytes 30-35/36', 'content-length': '6' })).toEqual({
      size: 36,
      start: 30,
      length: 6,
    })
    expect(extentOf(200, { 'content-length': '36' })).toEqual({ size: 36, start: 0, length: 36 })
    expect(() => extentOf(206, { 'content-range': 'bytes */36' })).toThrow(/unexpected/)
  })

  it('reads the size a 416 states, when it states one', () => {
    expect(sizeFrom416({ 'content-range': 'bytes */36' }, undefined)).toBe(36)
    expect(sizeFrom416({}, { actualobjectsize: 36 })).toBe(36)
    expect(sizeFrom416({}, { code: 'InvalidRange' })).toBeUndefined()
  })
})

describe('s3TestEnv', () => {
  const settings = {
    STRATA_TEST_S3_ENDPOINT: 'http://127.0.0.1:7480',
    STRATA_TEST_S3_ACCESS_KEY: 'a',
    STRATA_TEST_S3_SECRET_KEY: 's',
  }

  it('reads the settings, region us-east-1 by default', () => {
    expect(s3TestEnv(settings)).toEqual({
      endpoint: 'http://127.0.0.1:7480',
      accessKey: 'a',
      secretKey: 's',
      region: 'us-east-1',
    })
  })

  it('answers undefined locally, and fails in CI, without an endpoint', () => {
    expect(s3TestEnv({})).toBeUndefined()
    expect(() => s3TestEnv({ CI: 'true' })).toThrow(/s3-server\.sh start/)
  })

  it('fails on incomplete settings', () => {
    expect(() => s3TestEnv({ ...settings, STRATA_TEST_S3_SECRET_KEY: '' })).toThrow(/SECRET_KEY/)
    expect(() => s3TestEnv({ ...settings, STRATA_TEST_S3_ENDPOINT: 'ftp://x' })).toThrow(/http/)
  })
})
