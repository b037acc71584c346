import type { Client } from 'minio'
import { inScope, type RequestScope } from './transport.js'

/** S3's largest source of one CopyObject: 5 GiB. */
export const MAX_COPY_SIZE = 5 * 1024 * 1024 * 1024

/** Bytes per part of a multipart copy (S3 allows 5 MiB to 5 GiB). */
const COPY_PART_SIZE = 1024 * 1024 * 1024

/** Where a copy goes. */
export interface CopyTarget {
  client: Client
  bucket: string
}

/** `x-amz-copy-source` of an object: `bucket/key`, the key percent-encoded but its `/` kept. */
function copySource(bucket: string, key: string): string {
  const escaped = encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `/${bucket}/${escaped}`
}

async function readText(response: AsyncIterable<Buffer | string>): Promise<string> {
  const parts: Buffer[] = []
  for await (const chunk of response) parts.push(Buffer.from(chunk))
  return Buffer.concat(parts).toString('utf8')
}

/**
 * S3 may answer a copy with 200 and an `<Error>` document (AWS does for a copy that failed after
 * it started): that is a failure, thrown with the error's `code`.
 */
function failIfError(xml: string): string {
  const code = /<Error>[\s\S]*?<Code>([^<]*)<\/Code>/.exec(xml)?.[1]
  if (code !== undefined) throw Object.assign(new Error(`S3 copy failed: ${code}`), { code })
  return xml
}

/** One server-side CopyObject of `from` to `to` (sources up to 5 GiB). */
export async function copyWhole(
  target: CopyTarget,
  from: string,
  to: string,
  scope: RequestScope,
): Promise<void> {
  const { client, bucket } = target
  const headers = { 'x-amz-copy-source': copySource(bucket, from) }
  await inScope(scope, async () => {
    const response = await client.makeRequestAsync({
      method: 'PUT',
      bucketName: bucket,
      objectName: to,
      headers,
    })
    failIfError(await readText(response))
  })
}

/**
 * A server-side multipart copy of `from` (`size` bytes, any size up to 5 TiB) to `to`:
 * UploadPartCopy of 1 GiB ranges one after another, then CompleteMultipartUpload; aborted on failure.
 */
export async function copyMultipart(
  target: CopyTarget,
  from: string,
  to: string,
  size: number,
  scope: RequestScope,
): Promise<void> {
  const { client, bucket } = target
  const id = await inScope(scope, () => client.initiateNewMultipartUpload(bucket, to, {}))
  try {
    const etags: { part: number; etag: string }[] = []
    for (let start = 0, part = 1; start < size; start += COPY_PART_SIZE, part++) {
      const end = Math.min(start + COPY_PART_SIZE, size) - 1
      const headers = {
        'x-amz-copy-source': copySource(bucket, from),
        'x-amz-copy-source-range': `bytes=${start}-${end}`,
      }
      const { etag } = await inScope(scope, () =>
        client.uploadPart(
          { bucketName: bucket, objectName: to, uploadID: id, partNumber: part, headers },
          '',
        ),
      )
      etags.push({ part, etag })
    }
    await inScope(scope, () => client.completeMultipartUpload(bucket, to, id, etags))
  } catch (error) {
    const cleanup: RequestScope = { signal: undefined, timeoutMs: scope.timeoutMs, streamsBody: false }
    await inScope(cleanup, () => client.abortMultipartUpload(bucket, to, id)).catch(() => {})
    throw error
  }
}
