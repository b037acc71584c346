import { randomBytes } from 'node:crypto'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { Client, type ClientOptions } from 'minio'
import { describe, it } from 'vitest'

/** Where the S3 test server is and how to sign for it, from `STRATA_TEST_S3_*`. */
export interface S3TestSettings {
  /** `STRATA_TEST_S3_ENDPOINT`, e.g. `http://127.0.0.1:7480`. */
  endpoint: string
  /** `STRATA_TEST_S3_ACCESS_KEY`. */
  accessKey: string
  /** `STRATA_TEST_S3_SECRET_KEY`. */
  secretKey: string
  /** `STRATA_TEST_S3_REGION`, default `us-east-1`. */
  region: string
}

/** The command that starts the local S3 server (Ceph RGW) and exports its settings. */
export const S3_START_COMMAND = 'eval "$(bash scripts/s3-server.sh start)"'

/**
 * Reads the S3 test settings from `env` (default `process.env`).
 * @returns the settings, or undefined when `STRATA_TEST_S3_ENDPOINT` is unset outside CI.
 * @throws {Error} when the endpoint is unset and `CI=true` (a skipped S3 suite in CI is a
 *   failure), or when it is set but a key is missing or it is not an http(s) URL.
 */
export function s3TestEnv(env: NodeJS.ProcessEnv = process.env): S3TestSettings | undefined {
  const endpoint = env.STRATA_TEST_S3_ENDPOINT
  if (!endpoint) {
    if (env.CI === 'true') {
      throw new Error(
        `STRATA_TEST_S3_ENDPOINT is not set, and CI=true: start the S3 server with ${S3_START_COMMAND}`,
      )
    }
    return undefined
  }
  const accessKey = env.STRATA_TEST_S3_ACCESS_KEY
  const secretKey = env.STRATA_TEST_S3_SECRET_KEY
  if (!accessKey || !secretKey) {
    throw new Error('STRATA_TEST_S3_ENDPOINT is set but STRATA_TEST_S3_ACCESS_KEY or _SECRET_KEY is not')
  }
  const url = new URL(endpoint)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`STRATA_TEST_S3_ENDPOINT must be an http(s) URL, got ${endpoint}`)
  }
  return { endpoint, accessKey, secretKey, region: env.STRATA_TEST_S3_REGION || 'us-east-1' }
}

let skipNoticeShown = false

/**
 * `describe` for suites that need the S3 test server: runs `body` with the settings when
 * {@link s3TestEnv} has them; in CI without them registers one failing test; otherwise skips
 * the suite and prints, once per test file, one line saying how to run it.
 */
export function describeS3(name: string, body: (settings: S3TestSettings) => void): void {
  let settings: S3TestSettings | undefined
  try {
    settings = s3TestEnv()
  } catch (error) {
    describe(name, () => {
      it('has an S3 server to test against', () => {
        throw error
      })
    })
    return
  }
  if (settings === undefined) {
    if (!skipNoticeShown) {
      skipNoticeShown = true
      console.warn(`S3 tests skipped (STRATA_TEST_S3_ENDPOINT unset); to run them: ${S3_START_COMMAND}`)
    }
    describe.skip(name, () => {
      it(`needs an S3 server: ${S3_START_COMMAND}`, () => {})
    })
    return
  }
  const found = settings
  describe(name, () => body(found))
}

/** A minio `Client` for the test server (path-style, the settings' region, no retries). */
export function s3TestClient(settings: S3TestSettings, options: Partial<ClientOptions> = {}): Client {
  const url = new URL(settings.endpoint)
  const useSSL = url.protocol === 'https:'
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    pathStyle: true,
    region: settings.region,
    accessKey: settings.accessKey,
    secretKey: settings.secretKey,
    // As the server configures it: failures surface at once instead of being retried (and logged).
    retryOptions: { disableRetry: true },
    ...options,
  })
}

/** A bucket made for one test run; `destroy()` removes it with everything in it. */
export interface TestBucket {
  name: string
  client: Client
  /** Deletes every object and incomplete multipart upload, then the bucket. Idempotent. */
  destroy(): Promise<void>
}

/**
 * Creates a fresh bucket with a unique name (`strata-<label>-<time>-<random>`). The test server
 * keeps data in RAM: call `destroy()` in `afterAll`.
 */
export async function createTestBucket(
  settings: S3TestSettings,
  label = 'test',
  client: Client = s3TestClient(settings),
): Promise<TestBucket> {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 24)
  const name = `strata-${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
  await client.makeBucket(name, settings.region)
  let destroyed = false
  return {
    name,
    client,
    async destroy() {
      if (destroyed) return
      await emptyBucket(client, name)
      await client.removeBucket(name)
      destroyed = true
    },
  }
}

/** Whether `key` has a character a DeleteObjects XML body cannot carry (XML 1.0 forbids most controls). */
function notXml(key: string): boolean {
  for (const char of key) {
    const code = char.codePointAt(0) ?? 0
    if (
      (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) ||
      code === 0xfffe ||
      code === 0xffff
    ) {
      return true
    }
  }
  return false
}

/**
 * Deletes every object and every incomplete multipart upload in `bucket`.
 * @throws {Error} when the server refuses to delete some object.
 */
export async function emptyBucket(client: Client, bucket: string): Promise<void> {
  const store = new MinioObjectStore({ client, bucket })
  await store.open()
  const removeBatch = async (keys: string[]) => {
    // minio answers the DeleteResult's <Error> entries only.
    const failed = await client.removeObjects(bucket, keys)
    if (failed.length > 0) throw new Error(`could not delete ${JSON.stringify(failed.slice(0, 3))}`)
  }
  let batch: string[] = []
  for await (const key of store.list('')) {
    if (notXml(key)) await store.delete(key)
    else batch.push(key)
    if (batch.length === 1000) {
      await removeBatch(batch)
      batch = []
    }
  }
  if (batch.length > 0) await removeBatch(batch)
  for (const upload of await incompleteUploads(client, bucket)) {
    await client.abortMultipartUpload(bucket, upload.key, upload.uploadId)
  }
}

/** The incomplete multipart uploads in `bucket` whose key starts with `prefix`. */
export async function incompleteUploads(
  client: Client,
  bucket: string,
  prefix = '',
): Promise<{ key: string; uploadId: string }[]> {
  const uploads: { key: string; uploadId: string }[] = []
  for await (const upload of client.listIncompleteUploads(bucket, prefix, true)) {
    uploads.push({ key: String(upload.key), uploadId: String(upload.uploadId) })
  }
  return uploads
}
