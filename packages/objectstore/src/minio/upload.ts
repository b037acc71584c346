import { createHash } from 'node:crypto'
import type { Client } from 'minio'
import { exactly } from '../body.js'
import type { BufferBudget, BufferLease } from '../budget.js'
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
  /** The store's shared buffer budget: every part buffer is leased from it. */
  budget: BufferBudget
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

/**
 * Reads `body` (exactly `size` bytes) into `buffer` (at least `size` long): the whole body of a
 * small put, into a buffer leased from the budget.
 * @throws {TooLargeError | TooSmallError} from `exactly`; the signal's reason.
 */
export async function fill(
  body: Body,
  size: number,
  buffer: Uint8Array,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  let offset = 0
  for await (const chunk of exactly(body, size, signal)) {
    buffer.set(chunk, offset)
    offset += chunk.byteLength
  }
  return buffer.subarray(0, size)
}

/**
 * Uploads `bytes` in one PutObject (minio signs it; Content-MD5 over TLS, where the payload is
 * unsigned), with `conditions` as request headers (`If-Match`, `If-None-Match`).
 */
export async function putWhole(
  target: UploadTarget,
  bytes: Uint8Array,
  scope: RequestScope,
  conditions: Record<string, string> = {},
): Promise<void> {
  const { client, bucket, key } = target
  const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headers = { ...integrityHeaders(client, payload), ...conditions }
  await inScope(scope, () =>
    client.makeRequestAsyncOmit(
      { method: 'PUT', bucketName: bucket, objectName: key, headers },
      payload,
      [200],
    ),
  )
}

/**
 * Streams `body` (declared `size` bytes, or `undefined`: as many as it holds, up to S3's largest
 * object) up as a multipart upload of `partSize` parts with at most one part uploading while the
 * next one fills: memory held is at most two parts. Each part buffer is leased from
 * `target.budget` before it is filled (waiting, FIFO, while the budget is spent; the first before
 * the upload is initiated, so a waiting put holds nothing on S3) and given back (to the budget's
 * pool of part buffers) as soon as that part is uploaded, or when the put fails.
 * No deadlock: a put waits for budget only while it holds at most its part in flight, which
 * completes without budget and frees its lease; it never waits while holding a buffer it fills.
 * The upload is completed only once `body` has ended (with exactly `size` bytes when declared, so
 * a longer body is seen even when its first `size` bytes are all uploaded); on any failure the
 * in-flight part is cancelled and the upload aborted, so nothing becomes visible and no parts are
 * left behind.
 * With a declared size the upload is initiated while the first part fills (one round trip off
 * every put) and awaited before that part is sent; a body that fails meanwhile lets the initiation
 * finish, so the upload it created is aborted too. Without one it is initiated once the first part
 * is full; a body that ends before is sent in one PutObject.
 * @throws {TooSmallError | TooLargeError} from `exactly`; the signal's reason (also while waiting
 *   for budget); the client's errors mapped by {@link toStoreError}.
 */
export async function putMultipart(
  target: UploadTarget,
  size: number | undefined,
  partSize: number,
  body: Body,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { client, bucket, key, budget } = target
  // Aborted on failure: cancels the part in flight, stops reading the body and waiting for budget.
  const failure = new AbortController()
  const combined = signal ? AbortSignal.any([signal, failure.signal]) : failure.signal
  // One scope for the upload's requests (they run one after another): its last response tells
  // what a failure was.
  const scope: RequestScope = { signal: combined, timeoutMs: target.timeoutMs, streamsBody: false }
  // The leases not yet given back (a part's, once uploaded), released at the end whatever happened.
  const held = new Set<BufferLease>()
  const lease = async (length: number): Promise<BufferLease> => {
    const granted = await budget.acquireBuffer(length, combined)
    held.add(granted)
    return granted
  }
  const giveBack = (granted: BufferLease) => {
    held.delete(granted)
    granted.release()
  }
  const etags: { part: number; etag: string }[] = []
  // Its own scope, under the caller's signal only: it runs beside the body, not the parts.
  const initScope: RequestScope = { signal, timeoutMs: target.timeoutMs, streamsBody: false }
  let initiating: Promise<string> | undefined
  const initiate = (): Promise<string> => {
    if (initiating !== undefined) return initiating
    initiating = inScope(initScope, () => client.initiateNewMultipartUpload(bucket, key, {})).catch(
      (error: unknown) => {
        const mapped = toStoreError(error, { signal, scope: initScope })
        // Stop reading the body at once; the error surfaces at the next await.
        failure.abort(mapped)
        throw mapped
      },
    )
    initiating.catch(() => {})
    return initiating
  }
  let inFlight: Promise<void> | undefined
  const send = (id: string, part: number, slot: BufferLease, payload: Buffer): void => {
    const done = inScope(scope, async () => {
      const headers = integrityHeaders(client, payload)
      const { etag } = await client.uploadPart(
        { bucketName: bucket, objectName: key, uploadID: id, partNumber: part, headers },
        payload,
      )
      etags.push({ part, etag })
      giveBack(slot)
    })
    // Stop reading the body at once when a part fails; the error surfaces at the next await.
    done.catch((error: unknown) => failure.abort(error))
    inFlight = done
  }
  const partLength = (uploaded: number) =>
    size === undefined ? partSize : Math.min(partSize, size - uploaded)
  try {
    let filling = await lease(partLength(0))
    if (size !== undefined) initiate()
    let part = 1
    let uploaded = 0
    let filled = 0
    // Undeclared: as many parts as S3 allows.
    const limit = Math.min(MAX_OBJECT_SIZE, partSize * MAX_PARTS)
    for await (const chunk of exactly(body, size, combined, limit)) {
      let offset = 0
      while (offset < chunk.byteLength) {
        const { buffer } = filling
        const n = Math.min(chunk.byteLength - offset, buffer.byteLength - filled)
        buffer.set(chunk.subarray(offset, offset + n), filled)
        filled += n
        offset += n
        if (filled < buffer.byteLength) continue
        // One part in flight at a time.
        await inFlight
        send(await initiate(), part, filling, buffer)
        uploaded += buffer.byteLength
        part++
        filled = 0
        const next = partLength(uploaded)
        // While this waits for budget, the part just sent uploads and frees its own lease.
        if (next > 0) filling = await lease(next)
      }
    }
    if (initiating === undefined) {
      // An undeclared size that ended inside the first part: one PutObject.
      await putWhole(target, filling.buffer.subarray(0, filled), scope)
      return
    }
    if (filled > 0) {
      // The last, shorter part of an undeclared size.
      await inFlight
      send(await initiating, part, filling, filling.buffer.subarray(0, filled))
    }
    await inFlight
    const id = await initiating
    etags.sort((a, b) => a.part - b.part)
    await inScope(scope, () => client.completeMultipartUpload(bucket, key, id, etags))
  } catch (error) {
    const mapped = toStoreError(error, { signal, scope })
    failure.abort(mapped)
    await inFlight?.catch(() => {})
    const id = await initiating?.catch(() => undefined)
    if (id !== undefined) {
      // Best effort, outside the caller's (maybe aborted) signal; an upload left behind by a failed
      // abort is invisible and is removed by a bucket lifecycle rule (see README).
      const cleanup: RequestScope = { signal: undefined, timeoutMs: target.timeoutMs, streamsBody: false }
      await inScope(cleanup, () => client.abortMultipartUpload(bucket, key, id)).catch(() => {})
    }
    throw mapped
  } finally {
    for (const granted of held) granted.release()
  }
}

function integrityHeaders(client: Client, payload: Buffer): Record<string, string> {
  // Over plain HTTP minio signs the payload's sha256, which the server checks.
  if (client.enableSHA256) return {}
  return { 'content-md5': createHash('md5').update(payload).digest('base64') }
}
