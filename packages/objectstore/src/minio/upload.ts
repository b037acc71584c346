import { createHash } from 'node:crypto'
import type { Client } from 'minio'
import { exactly } from '../body.js'
import type { Body } from '../contract.js'
import { toStoreError } from './errors.js'
import { inScope, type RequestScope } from './transport.js'

/** S3's smallest part (but the last) of a multipart upload: 5 MiB. */
export const MIN_PART_SIZE = 5 * 1024 * 1024
/** S3's largest part: 5 GiB. */
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
/** S3's most parts in one upload. */
export const MAX_PARTS = 10_000
/** S3's largest object: 5 TiB. */
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * 1024 * 1024

/** Where an upload goes, and the timeout of its requests. */
export interface UploadTarget {
  client: Client
  bucket: string
  key: string
  /** The store's `requestTimeoutMs`. */
  timeoutMs: number
}

/**
 * The part size for an object of `size` bytes: `partSize`, grown to the next MiB when the object
 * would need more than {@link MAX_PARTS} parts.
 */
export function partSizeFor(size: number, partSize: number): number {
  if (size <= partSize * MAX_PARTS) return partSize
  const MiB = 1024 * 1024
  return Math.ceil(size / MAX_PARTS / MiB) * MiB
}

/** Uploads `bytes` in one PutObject (minio signs it; Content-MD5 over TLS, where the payload is unsigned). */
export async function putWhole(target: UploadTarget, bytes: Uint8Array, scope: RequestScope): Promise<void> {
  const { client, bucket, key } = target
  const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  await inScope(scope, () =>
    client.makeRequestAsyncOmit(
      { method: 'PUT', bucketName: bucket, objectName: key, headers: integrityHeaders(client, payload) },
      payload,
      [200],
    ),
  )
}

/**
 * Streams `body` (declared `size` bytes) up as a multipart upload of `partSize` parts with at most
 * one part uploading while the next one fills: memory held is at most two parts. The upload is
 * completed only once `body` has ended with exactly `size` bytes (so a longer body is seen even
 * when its first `size` bytes are all uploaded); on any failure the in-flight part is cancelled
 * and the upload aborted, so nothing becomes visible and no parts are left behind.
 * @throws {TooSmallError | TooLargeError} from `exactly`; the signal's reason; the client's
 *   errors mapped by {@link toStoreError}.
 */
export async function putMultipart(
  target: UploadTarget,
  size: number,
  partSize: number,
  body: Body,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { client, bucket, key } = target
  // Aborted on failure: cancels the part in flight and stops reading the body.
  const failure = new AbortController()
  const combined = signal ? AbortSignal.any([signal, failure.signal]) : failure.signal
  // One scope for the upload's requests (they run one after another): its last response tells
  // what a failure was.
  const scope: RequestScope = { signal: combined, timeoutMs: target.timeoutMs, streamsBody: false }
  const uploadId = await inScope(scope, () => client.initiateNewMultipartUpload(bucket, key, {})).catch(
    (error: unknown) => {
      throw toStoreError(error, { signal, scope })
    },
  )
  const etags: { part: number; etag: string }[] = []
  let inFlight: Promise<void> | undefined
  const send = (part: number, payload: Buffer): Promise<void> => {
    const upload = inScope(scope, async () => {
      const headers = integrityHeaders(client, payload)
      const { etag } = await client.uploadPart(
        { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: part, headers },
        payload,
      )
      etags.push({ part, etag })
    })
    // Stop reading the body at once when a part fails; the error surfaces at the next await.
    upload.catch((error: unknown) => failure.abort(error))
    return upload
  }
  try {
    // Two buffers used in turn: one uploading while the other fills; no garbage per part.
    const odd = Buffer.allocUnsafe(Math.min(partSize, size))
    const even = Buffer.allocUnsafe(Math.min(partSize, size - odd.byteLength))
    let part = 1
    let uploaded = 0
    let buffer = odd.subarray(0, Math.min(partSize, size))
    let filled = 0
    for await (const chunk of exactly(body, size, combined)) {
      let offset = 0
      while (offset < chunk.byteLength) {
        const n = Math.min(chunk.byteLength - offset, buffer.byteLength - filled)
        buffer.set(chunk.subarray(offset, offset + n), filled)
        filled += n
        offset += n
        if (filled < buffer.byteLength) continue
        // The other buffer is free again once its part is uploaded.
        await inFlight
        inFlight = send(part, buffer)
        uploaded += buffer.byteLength
        buffer = (part % 2 === 0 ? odd : even).subarray(0, Math.min(partSize, size - uploaded))
        part++
        filled = 0
      }
    }
    await inFlight
    etags.sort((a, b) => a.part - b.part)
    await inScope(scope, () => client.completeMultipartUpload(bucket, key, uploadId, etags))
  } catch (error) {
    const mapped = toStoreError(error, { signal, scope })
    failure.abort(mapped)
    await inFlight?.catch(() => {})
    // Best effort, outside the caller's (maybe aborted) signal; an upload left behind by a failed
    // abort is invisible and is removed by a bucket lifecycle rule (see README).
    const cleanup: RequestScope = { signal: undefined, timeoutMs: target.timeoutMs, streamsBody: false }
    await inScope(cleanup, () => client.abortMultipartUpload(bucket, key, uploadId)).catch(() => {})
    throw mapped
  }
}

function integrityHeaders(client: Client, payload: Buffer): Record<string, string> {
  // Over plain HTTP minio signs the payload's sha256, which the server checks.
  if (client.enableSHA256) return {}
  return { 'content-md5': createHash('md5').update(payload).digest('base64') }
}
