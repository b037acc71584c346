/** The server tests' S3 plumbing: a server's `storage.s3` settings, and dropping its buckets afterwards. */
import { emptyBucket, type S3TestSettings } from '@strata/testkit'
import type { Client } from 'minio'
import { BUCKET_SUFFIXES } from '../../src/config/index.js'

/** `storage.s3` of a server on the test S3 server, its buckets named `{bucketPrefix}{store}`. */
export function s3Storage(settings: S3TestSettings, bucketPrefix: string) {
  const { endpoint, region, accessKey, secretKey } = settings
  return { endpoint, region, accessKey, secretKey, bucketPrefix }
}

/** The same as `STRATA_STORAGE_S3_*` variables, for a child server (`startChild`). */
export function s3Env(settings: S3TestSettings, bucketPrefix: string): Record<string, string> {
  return {
    STRATA_STORAGE_S3_ENDPOINT: settings.endpoint,
    STRATA_STORAGE_S3_REGION: settings.region,
    STRATA_STORAGE_S3_ACCESS_KEY: settings.accessKey,
    STRATA_STORAGE_S3_SECRET_KEY: settings.secretKey,
    STRATA_STORAGE_S3_BUCKET_PREFIX: bucketPrefix,
  }
}

/** Empties and removes every store bucket of `bucketPrefix` that exists (the test server keeps data in RAM). */
export async function dropStoreBuckets(client: Client, bucketPrefix: string): Promise<void> {
  for (const name of BUCKET_SUFFIXES) {
    const bucket = `${bucketPrefix}${name}`
    if (!(await client.bucketExists(bucket).catch(() => false))) continue
    await emptyBucket(client, bucket)
    await client.removeBucket(bucket)
  }
}
