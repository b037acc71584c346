/**
 * Which uploads may write now (issue 14, D3): one writer per digest, a budget of declared bytes
 * over every upload in flight, and (filesystem backend) the free space of the blob store's disk
 * minus a reserve.
 * @packageDocumentation
 */
import { statfs } from 'node:fs/promises'
import { InsufficientStorageError } from '@strata/objectstore'
import { OverloadedError, UploadInProgressError } from './errors.js'

/** Free bytes on the file system holding `path`, for an unprivileged writer. */
export type FreeSpace = (path: string) => Promise<number>

/** `statfs(path)`: available blocks × block size. */
export const statfsFreeSpace: FreeSpace = async (path) => {
  const found = await statfs(path)
  return Number(found.bavail) * Number(found.bsize)
}

/** Options for {@link UploadAdmission}. */
export interface UploadAdmissionOptions {
  /** Declared bytes all uploads in flight may claim together (`server.maxInflightUploadBytes`). */
  maxInflightBytes: number
  /** A directory on the blob store's disk; absent (memory, S3): no disk check. */
  diskPath?: string | undefined
  /** Bytes kept free on that disk (`server.diskReserveBytes`). */
  diskReserveBytes: number
  /** How long an upload waits for another upload of its digest to finish, in ms. */
  waitMs: number
  /** Measures free space (tests replace it). Default {@link statfsFreeSpace}. */
  freeSpace?: FreeSpace
}

/** The right to write one upload: hand its body through {@link UploadSlot.count}, then release it. */
export interface UploadSlot {
  /**
   * The blob was stored while this upload waited for another one of its digest (only asked when
   * the caller passed `isStored`): nothing was claimed; answer "already stored".
   */
  stored: boolean
  /** `body`, counting the bytes written (the disk check subtracts what is already on disk). */
  count(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array>
  /** Gives the digest to the next upload waiting for it and returns the claimed budget. Idempotent. */
  release(): void
}

interface Writer {
  declared: number
  written: number
  done: Promise<void>
}

/** Options of {@link UploadAdmission.acquire}. */
export interface AcquireOptions {
  /** The request's signal: waiting stops (with its reason) when the client goes away. */
  signal?: AbortSignal
  /**
   * Asked once this upload's turn comes after waiting for another one (and at once when `always`):
   * a stored blob needs no slot.
   */
  isStored?: () => Promise<boolean>
  /** Ask `isStored` even without waiting (e.g. before answering `100 Continue`). */
  always?: boolean
}

/**
 * Admission of uploads, per server instance (in s3 mode, N instances sharing a bucket each admit
 * their own uploads: one writer per digest per instance; the bucket's atomic commits keep the
 * result whole whoever wins).
 *
 * - **One writer per digest.** An upload of a digest another upload is writing waits for it
 *   (reading none of its own body) for at most `waitMs`; then it runs if the blob is still not
 *   stored, or is told it is stored. Still busy after `waitMs`: `UploadInProgressError` (409,
 *   `Retry-After`). So bytes staged for a digest never exceed its declared size once.
 * - **Budget.** The declared sizes of the uploads writing may not exceed `maxInflightBytes`:
 *   `OverloadedError` (503, `Retry-After`) past it.
 * - **Disk.** With `diskPath`, the free space minus what the uploads in flight have yet to write
 *   must keep `diskReserveBytes` after this one: `InsufficientStorageError` (507) otherwise.
 */
export class UploadAdmission {
  readonly #options: UploadAdmissionOptions
  readonly #freeSpace: FreeSpace
  readonly #writers = new Map<string, Writer>()
  #claimed = 0

  constructor(options: UploadAdmissionOptions) {
    this.#options = options
    this.#freeSpace = options.freeSpace ?? statfsFreeSpace
  }

  /** Declared bytes of the uploads writing now. */
  get inflightBytes(): number {
    return this.#claimed
  }

  /** Uploads writing now. */
  get writers(): number {
    return this.#writers.size
  }

  /**
   * Whether a blob of `size` bytes fits on the disk now, the uploads in flight and the reserve
   * counted (what `POST /allocations` asks). No disk to check: it fits.
   * @throws {InsufficientStorageError} it does not.
   */
  checkSpace(size: number): Promise<void> {
    return this.#checkSpace(size, undefined)
  }

  /** {@link checkSpace}, `self` (a writer already registered) left out of the pending bytes. */
  async #checkSpace(size: number, self: Writer | undefined): Promise<void> {
    const path = this.#options.diskPath
    if (path === undefined) return
    let pending = 0
    for (const writer of this.#writers.values()) {
      if (writer !== self) pending += Math.max(0, writer.declared - writer.written)
    }
    const free = await this.#freeSpace(path)
    if (free - pending - size < this.#options.diskReserveBytes) {
      throw new InsufficientStorageError('blob store disk')
    }
  }

  /**
   * Waits for this digest's turn, then claims `size` bytes of the budget and of the disk.
   * @param key the digest, as any stable string.
   * @throws {UploadInProgressError} another upload of the digest still writes after `waitMs`.
   * @throws {OverloadedError} the budget is spent.
   * @throws {InsufficientStorageError} the disk would keep less than the reserve.
   * @throws the signal's reason when it aborts while waiting.
   */
  async acquire(key: string, size: number, options: AcquireOptions = {}): Promise<UploadSlot> {
    const waited = await this.#turn(key, options.signal)
    if (options.isStored && (waited || options.always) && (await options.isStored())) {
      return { stored: true, count: (body) => body, release: () => {} }
    }
    // another upload of the digest may have taken the turn while `isStored` ran
    if (this.#writers.has(key)) return this.acquire(key, size, options)
    if (this.#claimed + size > this.#options.maxInflightBytes) throw new OverloadedError('upload budget')
    const writer: Writer = { declared: size, written: 0, done: Promise.resolve() }
    let finish = () => {}
    writer.done = new Promise<void>((resolve) => {
      finish = resolve
    })
    this.#writers.set(key, writer)
    this.#claimed += size
    let released = false
    const release = () => {
      if (released) return
      released = true
      this.#claimed -= size
      if (this.#writers.get(key) === writer) this.#writers.delete(key)
      finish()
    }
    try {
      await this.#checkSpace(size, writer)
    } catch (error) {
      release()
      throw error
    }
    return {
      stored: false,
      count: (body) => counted(body, writer),
      release,
    }
  }

  /** Resolves when no upload of `key` writes; answers whether it had to wait. */
  async #turn(key: string, signal: AbortSignal | undefined): Promise<boolean> {
    let waited = false
    const deadline = performance.now() + this.#options.waitMs
    for (let writer = this.#writers.get(key); writer !== undefined; writer = this.#writers.get(key)) {
      waited = true
      signal?.throwIfAborted()
      const left = deadline - performance.now()
      if (left <= 0) throw new UploadInProgressError()
      await waitFor(writer.done, left, signal)
    }
    return waited
  }
}

/** Resolves when `done` does or `ms` passed; rejects with the signal's reason when it aborts. */
function waitFor(done: Promise<void>, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(settle, ms)
    const onAbort = () => {
      settle()
      reject(signal?.reason)
    }
    function settle() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    done.then(settle, settle)
  })
}

async function* counted(body: AsyncIterable<Uint8Array>, writer: Writer): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    writer.written += chunk.byteLength
    yield chunk
  }
}
