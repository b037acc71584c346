import type { Client } from 'minio'
import { MAX_PART_SIZE, MIN_PART_SIZE } from './upload.js'

const MiB = 1024 * 1024

/** Options for {@link MinioObjectStore}. */
export interface MinioObjectStoreOptions {
  /**
   * A minio v8 `Client` for the S3 endpoint (MinIO, AWS, Ceph RGW, R2), owned by the caller. The
   * store instruments its HTTP transport once, without I/O, so that the store's requests carry
   * their timeout and abort signal; requests other code makes through the client are unchanged.
   * Tip: `retryOptions: { disableRetry: true }` stops minio from retrying 5xx answers itself (and
   * logging each retry with `console.warn`); the store reports them as `UnavailableError`.
   */
  client: Client
  /** The bucket; `open()` creates it when missing. */
  bucket: string
  /**
   * Bytes per multipart part (default 8 MiB; 5 MiB to 5 GiB, else the constructor throws
   * `RangeError`). A body of up to `partSize` bytes is counted in full, then sent in one
   * PutObject; a larger one goes up as a multipart upload holding at most two parts (one
   * uploading, one filling). So a put holds at most `2 × partSize` of body (16 MiB by default),
   * whatever the object size, up to `10,000 × partSize` (78 GiB by default); past that the part
   * size grows (to the MiB) so the object fits S3's 10,000 parts.
   */
  partSize?: number
  /**
   * The most body bytes the store's puts buffer together (default 64 MiB, or `2 × partSize` if
   * more; at least `2 × partSize`, else the constructor throws `RangeError`). A put leases its
   * whole body (up to `partSize`) or each part buffer from this budget before filling it, waiting
   * (FIFO; its signal aborts the wait) while it is spent, so concurrent uploads cannot grow memory
   * past it. A part size grown past the budget for a huge object is counted as the whole budget.
   */
  maxBufferedBytes?: number
  /**
   * The longest the S3 server may stay silent, in milliseconds (default 30,000): while connecting,
   * sending, awaiting an answer, and between two chunks of a body the caller is waiting for.
   * Past it the request is destroyed and the call fails with `UnavailableError`. A slow producer
   * or consumer of a body does not count.
   */
  requestTimeoutMs?: number
  /** Keys per ListObjectsV2 request (default 1000, S3's maximum). */
  listPageSize?: number
}

/** The options of a {@link MinioObjectStoreOptions} with their defaults, checked. */
export interface MinioSettings {
  partSize: number
  maxBufferedBytes: number
  requestTimeoutMs: number
  listPageSize: number
}

/**
 * Fills in the defaults and checks every option.
 * @throws {RangeError} for an option out of its range.
 */
export function settingsOf(options: MinioObjectStoreOptions): MinioSettings {
  const partSize = options.partSize ?? 8 * MiB
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000
  const listPageSize = options.listPageSize ?? 1000
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new RangeError(`partSize must be an integer from ${MIN_PART_SIZE} to ${MAX_PART_SIZE}`)
  }
  if (!(requestTimeoutMs > 0)) throw new RangeError('requestTimeoutMs must be positive')
  const maxBufferedBytes = options.maxBufferedBytes ?? Math.max(64 * MiB, 2 * partSize)
  if (!Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes < 2 * partSize) {
    throw new RangeError('maxBufferedBytes must be an integer of at least 2 × partSize')
  }
  if (!Number.isInteger(listPageSize) || listPageSize < 1 || listPageSize > 1000) {
    throw new RangeError('listPageSize must be an integer from 1 to 1000')
  }
  return { partSize, maxBufferedBytes, requestTimeoutMs, listPageSize }
}
