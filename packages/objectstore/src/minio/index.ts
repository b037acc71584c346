import type { IncomingMessage } from 'node:http'
import type { Client } from 'minio'
import { assertKey, assertSize } from '../body.js'
import type {
  Body,
  GetOptions,
  IOOptions,
  ObjectResult,
  ObjectStat,
  ObjectStore,
  PutOptions,
} from '../contract.js'
import { InvalidKeyError, RangeNotSatisfiableError, TooLargeError } from '../errors.js'
import { type ByteRange, isWellFormed, type ResolvedRange, rangeHeaderOf, resolveRange } from '../range.js'
import { BufferBudget } from './budget.js'
import { conditionHeaders, isRefused, isUncertain, md5Of, outcomeOf, refused } from './conditional.js'
import { copyMultipart, copyWhole } from './copy.js'
import { extentOf, readBody, sizeFrom416 } from './download.js'
import { codeOf, isNotFound, toStoreError } from './errors.js'
import { listPage } from './list.js'
import { abortStaleUploads, type SweepResult } from './sweep.js'
import { inScope, instrumentClient, type RequestScope } from './transport.js'
import {
  fill,
  MAX_OBJECT_SIZE,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  partSizeFor,
  putMultipart,
  putWhole,
} from './upload.js'

export type { SweepResult } from './sweep.js'

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

/**
 * Objects in one S3 bucket through the `minio` client. Writes are atomic: S3 shows an object only
 * once PutObject / CompleteMultipartUpload succeeds, and that is sent only after the body ended
 * with exactly the declared bytes (a failed multipart upload is aborted). Reads send
 * `Range: bytes=s-e` (`bytes=s-` without an end) and stream from the socket; the total size comes
 * from `Content-Range`, which also reveals an end past the object that S3 clamps silently. Only a
 * `416` that does not state the size (Ceph RGW's) or a malformed range costs a second request (HEAD).
 *
 * Errors: `NoSuchKey` / `NotFound` → `NotFoundError`; `InvalidRange` or a clamped range →
 * `RangeNotSatisfiableError`; connection errors, timeouts and 5xx → `UnavailableError` (backend
 * `s3`); the S3 error is the `cause`. Others (e.g. `AccessDenied`) are thrown as minio reports them.
 * Keys: any string `assertKey` accepts that has a UTF-8 form (else `InvalidKeyError`); objects
 * over 5 TiB (S3's limit) are refused with `TooLargeError`.
 */
export class MinioObjectStore implements ObjectStore {
  readonly #client: Client
  readonly #bucket: string
  readonly #partSize: number
  readonly #timeoutMs: number
  readonly #pageSize: number
  readonly #budget: BufferBudget
  #opened = false

  /** @throws {RangeError | TypeError} for an invalid option or a client that is not a minio v8 Client. */
  constructor(options: MinioObjectStoreOptions) {
    this.#client = options.client
    this.#bucket = options.bucket
    this.#partSize = options.partSize ?? 8 * MiB
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000
    this.#pageSize = options.listPageSize ?? 1000
    if (
      !Number.isSafeInteger(this.#partSize) ||
      this.#partSize < MIN_PART_SIZE ||
      this.#partSize > MAX_PART_SIZE
    ) {
      throw new RangeError(`partSize must be an integer from ${MIN_PART_SIZE} to ${MAX_PART_SIZE}`)
    }
    if (!(this.#timeoutMs > 0)) throw new RangeError('requestTimeoutMs must be positive')
    const maxBuffered = options.maxBufferedBytes ?? Math.max(64 * MiB, 2 * this.#partSize)
    if (!Number.isSafeInteger(maxBuffered) || maxBuffered < 2 * this.#partSize) {
      throw new RangeError('maxBufferedBytes must be an integer of at least 2 × partSize')
    }
    this.#budget = new BufferBudget(maxBuffered, { bufferSize: this.#partSize })
    if (!Number.isInteger(this.#pageSize) || this.#pageSize < 1 || this.#pageSize > 1000) {
      throw new RangeError('listPageSize must be an integer from 1 to 1000')
    }
    instrumentClient(this.#client)
  }

  /**
   * Checks the bucket (HEAD) and creates it when missing. A bucket that already exists and is
   * ours is fine whatever the server answers to its creation (Ceph: 200; MinIO / AWS: 409
   * `BucketAlreadyOwnedByYou`; a concurrent creator: any error, then the bucket is there).
   * @throws {UnavailableError} the server cannot be reached; the S3 error when the bucket cannot be created.
   */
  async open(): Promise<void> {
    if (this.#opened) return
    const exists = () => this.#call(undefined, () => this.#client.bucketExists(this.#bucket))
    if (!(await exists())) {
      try {
        await this.#call(undefined, () => this.#client.makeBucket(this.#bucket, this.#client.region ?? ''))
      } catch (error) {
        if (codeOf(error) !== 'BucketAlreadyOwnedByYou' && !(await exists().catch(() => false))) throw error
      }
    }
    this.#opened = true
  }

  /** The puts' shared buffer budget (`maxBufferedBytes`): `capacity`, `inUse`, `pooled`, `highWaterMark`, `waiting`. */
  get bufferBudget(): Pick<BufferBudget, 'capacity' | 'inUse' | 'pooled' | 'highWaterMark' | 'waiting'> {
    return this.#budget
  }

  /**
   * Aborts the bucket's incomplete multipart uploads started before `olderThan`: the left-overs of
   * a writer that died mid-put (see `abortStaleUploads` in `./sweep.ts`). Uploads started since may
   * belong to a live writer (another instance sharing the bucket) and are kept.
   * @throws {UnavailableError} the server cannot be reached; the S3 error otherwise.
   */
  async abortIncompleteUploads(olderThan: Date): Promise<SweepResult> {
    return this.#call(undefined, () => abortStaleUploads(this.#client, this.#bucket, olderThan))
  }

  /** Marks the store closed. The client and its sockets belong to the caller. */
  async close(): Promise<void> {
    this.#opened = false
  }

  async put(key: string, size: number | undefined, body: Body, options: PutOptions = {}): Promise<void> {
    this.#check(key)
    assertSize(size)
    const { signal } = options
    signal?.throwIfAborted()
    if (size !== undefined && size > MAX_OBJECT_SIZE) throw new TooLargeError(MAX_OBJECT_SIZE, size)
    const target = {
      client: this.#client,
      bucket: this.#bucket,
      key,
      timeoutMs: this.#timeoutMs,
      budget: this.#budget,
    }
    const conditions = conditionHeaders(options)
    if (size === undefined || size > this.#partSize) {
      if (Object.keys(conditions).length > 0) {
        throw new RangeError(`conditional puts on S3 need a declared size of at most ${this.#partSize} bytes`)
      }
      await putMultipart(target, size, partSizeFor(size ?? MAX_OBJECT_SIZE, this.#partSize), body, signal)
      return
    }
    // A body over half a part takes a pooled part buffer (no garbage); a smaller one its own bytes.
    const lease = await this.#budget.acquireBuffer(size, signal)
    try {
      const bytes = await fill(body, size, lease.buffer, signal)
      const scope = this.#scope(signal)
      try {
        await putWhole(target, bytes, scope, conditions)
      } catch (error) {
        if (Object.keys(conditions).length === 0 || signal?.aborted)
          throw toStoreError(error, { signal, scope })
        await this.#settleConditional(key, bytes, options, error, scope)
      }
    } finally {
      lease.release()
    }
  }

  /** One GET (`Range: bytes=…` when a range is asked for) whatever the range form. */
  async get(key: string, options: GetOptions = {}): Promise<ObjectResult> {
    this.#check(key)
    const { range, signal } = options
    signal?.throwIfAborted()
    // A malformed range never reaches S3 (it would ignore it); the error needs the size.
    if (range !== undefined && !isWellFormed(range)) {
      throw new RangeNotSatisfiableError(
        range,
        (await this.stat(key, { ...(signal ? { signal } : {}) })).size,
      )
    }
    const scope = this.#scope(signal, true)
    const whole = range === undefined || ('start' in range && range.start === 0 && range.end === undefined)
    const headers: Record<string, string> = whole ? {} : { range: rangeHeaderOf(range) }
    let response: IncomingMessage
    try {
      response = await inScope(scope, () =>
        this.#client.makeRequestAsync(
          { method: 'GET', bucketName: this.#bucket, objectName: key, headers },
          '',
          whole ? [200] : [200, 206],
        ),
      )
    } catch (error) {
      if (range !== undefined && codeOf(error) === 'InvalidRange' && !signal?.aborted) {
        return this.#unsatisfiable(key, range, sizeFrom416(scope.response?.headers, error), error, signal)
      }
      throw toStoreError(error, { key, signal, scope })
    }
    try {
      const extent = extentOf(response.statusCode ?? 0, response.headers)
      const wanted = resolveRange(range, extent.size)
      const skip = wanted.start - extent.start
      if (skip < 0 || skip + wanted.length > extent.length) {
        throw new Error(
          `S3 answered bytes ${extent.start}+${extent.length} for ${wanted.start}+${wanted.length}`,
        )
      }
      const body = readBody(response, {
        bodyLength: extent.length,
        skip,
        length: wanted.length,
        timeoutMs: this.#timeoutMs,
        signal,
      })
      return { size: extent.size, etag: sanitizeEtag(response.headers.etag), range: wanted, body }
    } catch (error) {
      response.destroy()
      throw error
    }
  }

  /** One HEAD. */
  async stat(key: string, options: IOOptions = {}): Promise<ObjectStat> {
    this.#check(key)
    const found = await this.#call(options.signal, () => this.#client.statObject(this.#bucket, key), key)
    return { size: found.size, etag: sanitizeEtag(found.etag), lastModified: found.lastModified }
  }

  async has(key: string, options: IOOptions = {}): Promise<boolean> {
    this.#check(key)
    try {
      await this.#call(options.signal, () => this.#client.statObject(this.#bucket, key))
      return true
    } catch (error) {
      if (isNotFound(error) && !options.signal?.aborted) return false
      throw error
    }
  }

  async delete(key: string, options: IOOptions = {}): Promise<void> {
    this.#check(key)
    await this.#call(options.signal, () => this.#client.removeObject(this.#bucket, key), key)
  }

  /**
   * A server-side copy, then a delete of `from`: two requests up to 5 GiB; past that (S3 refuses
   * a single copy) a HEAD and a multipart copy in 1 GiB parts. The copy is atomic: `to` shows the
   * old object or the whole new one.
   */
  async move(from: string, to: string, options: IOOptions = {}): Promise<void> {
    this.#check(from)
    this.#check(to)
    const { signal } = options
    signal?.throwIfAborted()
    if (from === to) {
      await this.stat(from, options)
      return
    }
    const target = { client: this.#client, bucket: this.#bucket }
    const scope = this.#scope(signal)
    try {
      await copyWhole(target, from, to, scope)
    } catch (error) {
      if (!isTooLargeToCopy(error)) throw toStoreError(error, { key: from, signal, scope })
      const { size } = await this.stat(from, options)
      try {
        await copyMultipart(target, from, to, size, scope)
      } catch (failure) {
        throw toStoreError(failure, { key: from, signal, scope })
      }
    }
    await this.delete(from, options)
  }

  /** Pages through ListObjectsV2 without a delimiter, `listPageSize` keys per request. */
  async *list(prefix = '', options: IOOptions = {}): AsyncGenerator<string> {
    this.#assertOpen()
    const { signal } = options
    let token: string | undefined
    do {
      signal?.throwIfAborted()
      const scope = this.#scope(signal)
      const page = await listPage(this.#client, this.#bucket, prefix, token, this.#pageSize, scope).catch(
        (error: unknown) => {
          throw toStoreError(error, { signal, scope })
        },
      )
      yield* page.keys
      token = page.next
    } while (token !== undefined)
  }

  /**
   * Settles a conditional PUT that failed: a 412 is a `PreconditionFailedError`; an uncertain
   * answer (409, 5xx, no answer: see `outcomeOf`) costs a HEAD that tells whether our bytes landed
   * (then the put succeeded), the condition still holds (`UnavailableError`: retry) or another
   * writer won (`PreconditionFailedError`).
   */
  async #settleConditional(
    key: string,
    bytes: Uint8Array,
    options: PutOptions,
    error: unknown,
    scope: RequestScope,
  ): Promise<void> {
    if (isRefused(error, scope)) throw refused(key, options, error)
    if (!isUncertain(error, scope)) throw toStoreError(error, { signal: options.signal, scope })
    const current = await this.stat(key).then(
      (found) => found.etag,
      (failure: unknown) => {
        if ((failure as Error).name === 'NotFoundError') return undefined
        throw failure
      },
    )
    const outcome = outcomeOf(options, current, md5Of(bytes))
    if (outcome === 'written') return
    if (outcome === 'refused') throw refused(key, options, error)
    throw toStoreError(error, { signal: options.signal, scope })
  }

  /**
   * The `RangeNotSatisfiableError` of a range S3 refused, with the size its 416 stated (AWS) or a
   * HEAD learned (Ceph RGW states none); or, for a suffix of an empty object, the empty result.
   */
  async #unsatisfiable(
    key: string,
    range: ByteRange,
    size: number | undefined,
    cause: unknown,
    signal: AbortSignal | undefined,
  ): Promise<ObjectResult> {
    const io = signal ? { signal } : {}
    const found = size === undefined ? await this.stat(key, io) : undefined
    const known = size ?? (found as ObjectStat).size
    let wanted: ResolvedRange
    try {
      wanted = resolveRange(range, known)
    } catch {
      throw new RangeNotSatisfiableError(range, known, { cause })
    }
    const { etag } = found ?? (await this.stat(key, io))
    return { size: known, etag, range: wanted, body: emptyBody() }
  }

  /** Runs one minio call in a request scope and maps what it throws. */
  async #call<T>(signal: AbortSignal | undefined, task: () => Promise<T>, key?: string): Promise<T> {
    signal?.throwIfAborted()
    const scope = this.#scope(signal)
    try {
      return await inScope(scope, task)
    } catch (error) {
      throw toStoreError(error, { signal, scope, ...(key === undefined ? {} : { key }) })
    }
  }

  #scope(signal: AbortSignal | undefined, streamsBody = false): RequestScope {
    return { signal, timeoutMs: this.#timeoutMs, streamsBody }
  }

  #check(key: string): void {
    this.#assertOpen()
    assertKey(key)
    // A lone surrogate has no UTF-8 form: S3 would store U+FFFD, and two keys could collide.
    if (Buffer.from(key, 'utf8').toString('utf8') !== key) throw new InvalidKeyError(key, 'not valid Unicode')
  }

  #assertOpen(): void {
    if (!this.#opened)
      throw new Error(`MinioObjectStore for bucket ${this.#bucket} is not open: call open() first`)
  }
}

/** S3's ETag without its quotes (what `stat` answers and `ifMatch` takes). */
function sanitizeEtag(etag: string | string[] | undefined): string {
  const text = Array.isArray(etag) ? (etag[0] ?? '') : (etag ?? '')
  return text.replace(/^(W\/)?"|"$/g, '')
}

/** Whether S3 refused a CopyObject because its source is over 5 GiB. */
function isTooLargeToCopy(error: unknown): boolean {
  const code = codeOf(error)
  return code === 'InvalidRequest' || code === 'EntityTooLarge'
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
