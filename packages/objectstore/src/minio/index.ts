import type { IncomingMessage } from 'node:http'
import type { Client } from 'minio'
import { assertKey, assertSize } from '../body.js'
import { BufferBudget } from '../budget.js'
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
import { isWellFormed, rangeHeaderOf, resolveRange } from '../range.js'
import { conditionHeaders, settleConditional } from './conditional.js'
import { copyMultipart, copyWhole } from './copy.js'
import { extentOf, readBody, sizeFrom416, unsatisfiable } from './download.js'
import { codeOf, isNotFound, toStoreError } from './errors.js'
import { listPage } from './list.js'
import { type MinioObjectStoreOptions, settingsOf } from './options.js'
import { abortStaleUploads, type SweepResult } from './sweep.js'
import { inScope, instrumentClient, type RequestScope } from './transport.js'
import { fill, MAX_OBJECT_SIZE, partSizeFor, putMultipart, putWhole } from './upload.js'

export type { MinioObjectStoreOptions } from './options.js'
export type { SweepResult } from './sweep.js'

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
    const settings = settingsOf(options)
    this.#client = options.client
    this.#bucket = options.bucket
    this.#partSize = settings.partSize
    this.#timeoutMs = settings.requestTimeoutMs
    this.#pageSize = settings.listPageSize
    this.#budget = new BufferBudget(settings.maxBufferedBytes, { bufferSize: this.#partSize })
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
      // Undeclared: `partSize` parts, so up to 10,000 × partSize (78 GiB by default) without holding more.
      const partSize = size === undefined ? this.#partSize : partSizeFor(size, this.#partSize)
      await putMultipart(target, size, partSize, body, signal)
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
        await settleConditional({ key, bytes, options, error, scope, stat: (at) => this.stat(at) })
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
        const size = sizeFrom416(scope.response?.headers, error)
        return unsatisfiable({
          key,
          range,
          size,
          cause: error,
          stat: (at) => this.stat(at, signal ? { signal } : {}),
        })
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
