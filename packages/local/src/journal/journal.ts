import { createHash, type Hash } from 'node:crypto'
import { type FileHandle, mkdir, open, readdir, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { addAbortSignal } from 'node:stream'
import { InsufficientStorageError, type IOOptions, NotFoundError } from '@strata/objectstore'
import { isErrno, isNoSpace, syncPath } from '@strata/objectstore/fs'
import type { UnknownLink } from 'multiformats'
import { CID } from 'multiformats/cid'
import { encodeEntry, type JournalReceipt } from './entry.js'
import { batchFileName, carCid, encodeSection, isBatchCid, parseBatchFileName, WIP_FILE } from './format.js'
import {
  type AppendResult,
  type BatchResult,
  type JournalStatus,
  type RetrievalJournalOptions,
  type RotateCause,
  resolveLimits,
} from './options.js'
import { openWip, writeAll } from './wip.js'

/**
 * The retrieval journal: receipts for served retrievals, appended to `egress.car.wip` and rotated
 * into immutable batches `egress.<cid>.car` for egress accounting. Byte-compatible with Piri.
 *
 * Every file is a CARv1 with the header `{ version: 1, roots: [] }` followed by one section per
 * receipt: the receipt's archive (see {@link encodeEntry}) under its CIDv1 car (0x0202) CID, so
 * `@ipld/car` reads a batch back block for block, each block a whole receipt. A batch's CID is
 * CIDv1 car of the sha2-256 of the whole file, hashed as entries are appended (re-hashed by
 * streaming the file at `open()`).
 *
 * Crash safety: appends write at the end of the valid bytes and are serialised, so entries never
 * interleave; `open()` scans the `.wip` and cuts off a torn last section (a crash mid-append), so
 * earlier entries always survive and the batch CID covers exactly the bytes kept. A failed write
 * is undone by truncating back before the append rejects. Renames make rotation atomic.
 */
export class RetrievalJournal {
  readonly #dir: string
  readonly #wipPath: string
  readonly #maxBatchSize: number
  readonly #rotateInterval: number
  readonly #fsync: boolean
  readonly #onRotate: ((batch: CID, cause: RotateCause) => void) | undefined
  readonly #onError: (error: unknown) => void
  #opened = false
  #opening: Promise<void> | undefined
  #handle: FileHandle | undefined
  #size = 0
  #hash: Hash = createHash('sha256')
  #entries = 0
  #truncated = 0
  #queue: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined

  /** @throws {RangeError} `maxBatchSize` or `rotateInterval` is out of range (see {@link resolveLimits}). */
  constructor(options: RetrievalJournalOptions) {
    const { maxBatchSize, rotateInterval } = resolveLimits(options)
    this.#dir = options.path
    this.#wipPath = join(options.path, WIP_FILE)
    this.#maxBatchSize = maxBatchSize
    this.#rotateInterval = rotateInterval
    this.#fsync = options.fsync ?? false
    this.#onRotate = options.onRotate
    this.#onError = options.onError ?? ((error) => process.emitWarning(toError(error)))
  }

  /**
   * Creates the directory, recovers `egress.car.wip` (creates it, or re-hashes it and cuts off a
   * torn tail) and starts the rotation timer. Idempotent.
   * @throws {JournalCorruptError} the `.wip` holds bytes that are neither entries nor a torn tail.
   */
  async open(): Promise<void> {
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined
    })
    return this.#opening
  }

  async #open(): Promise<void> {
    if (this.#opened) return
    await this.#queue // a close() still finishing
    await mkdir(this.#dir, { recursive: true })
    await this.#recover()
    this.#opened = true
    if (this.#rotateInterval > 0) {
      this.#timer = setInterval(() => this.#tick(), this.#rotateInterval)
      this.#timer.unref()
    }
  }

  /**
   * Stops the timer, lets the appends and rotations already queued finish, and closes the file;
   * the `.wip` stays for the next `open()`. Calls made after `close()` began throw. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.#opened) return
    this.#opened = false
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#serialize(async () => {
      const handle = this.#handle
      this.#handle = undefined
      await handle?.close()
    })
  }

  /** The batch being written. */
  get status(): JournalStatus {
    return { size: this.#size, entries: this.#entries, truncated: this.#truncated }
  }

  /**
   * Appends a receipt as one CAR section, then rotates if the batch reached `maxBatchSize`.
   * Appends run one at a time in call order. `signal` is honoured until the write starts.
   * @throws {InsufficientStorageError} the disk is full (nothing was appended).
   * @throws {Error} the journal is not open, or the write failed (nothing was appended).
   */
  async append(receipt: JournalReceipt, options: IOOptions = {}): Promise<AppendResult> {
    this.#assertOpen()
    const entry = await encodeEntry(receipt)
    const section = encodeSection(entry)
    // Checked again after the await: every task queued while open runs before close()'s own task.
    this.#assertOpen()
    return this.#serialize(async () => {
      options.signal?.throwIfAborted()
      await this.#write(section)
      if (this.#size < this.#maxBatchSize) return { entry: entry.cid }
      const batch = await this.#rotate('size').catch((error: unknown) => this.#report(error))
      return batch ? { entry: entry.cid, batch } : { entry: entry.cid }
    })
  }

  /**
   * Rotates now: renames `egress.car.wip` to `egress.<cid>.car` and starts an empty one.
   * @returns the new batch's CID, or `undefined` when the journal holds no entry (nothing happens).
   * @throws {Error} the journal is not open, or the rename failed (the `.wip` is kept as it was).
   */
  async forceRotate(): Promise<CID | undefined> {
    this.#assertOpen()
    return this.#serialize(() => this.#rotate('force'))
  }

  /** Yields the CID of every rotated batch, in unspecified order (the `.wip` is not a batch). */
  async *list(options: IOOptions = {}): AsyncGenerator<CID> {
    this.#assertOpen()
    for (const name of await readdir(this.#dir)) {
      options.signal?.throwIfAborted()
      const cid = parseBatchFileName(name)
      if (cid) yield cid
    }
  }

  /**
   * Opens the batch `cid` for reading, streamed from disk.
   * @throws {NotFoundError} no such batch (also for a CID that cannot name one: not v1 car/sha2-256).
   */
  async getBatch(cid: UnknownLink, options: IOOptions = {}): Promise<BatchResult> {
    const path = this.#batchPath(cid)
    options.signal?.throwIfAborted()
    if (path === undefined) throw new NotFoundError(String(cid))
    let handle: FileHandle
    try {
      handle = await open(path, 'r')
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new NotFoundError(String(cid), { cause: error })
      throw error
    }
    try {
      const { size } = await handle.stat()
      const stream = handle.createReadStream()
      if (options.signal) addAbortSignal(options.signal, stream)
      return { size, body: stream }
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  /** Deletes the batch `cid` (e.g. once submitted); removing a missing batch is not an error. */
  async remove(cid: UnknownLink, options: IOOptions = {}): Promise<void> {
    const path = this.#batchPath(cid)
    options.signal?.throwIfAborted()
    if (path === undefined) return
    try {
      await unlink(path)
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error
      return
    }
    if (this.#fsync) await syncPath(this.#dir)
  }

  /** Writes a section at the end of the valid bytes; on failure cuts the file back and rethrows. */
  async #write(section: Uint8Array): Promise<void> {
    if (!this.#handle) await this.#recover()
    const handle = this.#handle as FileHandle
    const at = this.#size
    try {
      await writeAll(handle, section, at)
      if (this.#fsync) await handle.datasync()
    } catch (error) {
      // Undo the partial write; if even that fails, recover (scan + truncate) before the next one.
      await handle.truncate(at).catch(async () => {
        this.#drop()
        await handle.close().catch(() => {})
      })
      if (isNoSpace(error)) {
        throw new InsufficientStorageError('retrieval journal', { cause: error })
      }
      throw error
    }
    this.#hash.update(section)
    this.#size += section.byteLength
    this.#entries++
  }

  async #rotate(cause: RotateCause): Promise<CID | undefined> {
    if (!this.#handle) await this.#recover()
    const handle = this.#handle as FileHandle
    if (this.#entries === 0) return undefined
    if (this.#fsync) await handle.datasync()
    const cid = carCid(this.#hash.copy().digest())
    await rename(this.#wipPath, join(this.#dir, batchFileName(cid)))
    this.#drop()
    await handle.close().catch(() => {})
    // The batch is complete from here on: a failure to start the next `.wip` is retried later.
    try {
      await this.#recover()
    } catch (error) {
      this.#report(error)
    }
    try {
      this.#onRotate?.(cid, cause)
    } catch (error) {
      this.#report(error)
    }
    return cid
  }

  /** Opens (or creates) `egress.car.wip`, re-hashes it, cuts off a torn tail and adopts its state. */
  async #recover(): Promise<void> {
    const wip = await openWip(this.#wipPath, this.#fsync)
    this.#handle = wip.handle
    this.#size = wip.size
    this.#hash = wip.hash
    this.#entries = wip.entries
    this.#truncated = wip.truncated
  }

  /** Forgets the open `.wip` so the next operation recovers it from disk. */
  #drop(): void {
    this.#handle = undefined
    this.#size = 0
    this.#entries = 0
    this.#hash = createHash('sha256')
  }

  #tick(): void {
    if (!this.#opened) return
    this.#serialize(() => this.#rotate('timer')).catch((error: unknown) => this.#report(error))
  }

  #serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task)
    this.#queue = run.catch(() => {})
    return run
  }

  #report(error: unknown): undefined {
    try {
      this.#onError(error)
    } catch {
      // An error handler that throws must not break the journal.
    }
    return undefined
  }

  #batchPath(cid: UnknownLink): string | undefined {
    this.#assertOpen()
    const parsed = CID.asCID(cid)
    return parsed && isBatchCid(parsed) ? join(this.#dir, batchFileName(parsed)) : undefined
  }

  #assertOpen(): void {
    if (!this.#opened) throw notOpen(this.#dir)
  }
}

function notOpen(dir: string): Error {
  return new Error(`RetrievalJournal at ${dir} is not open: call open() first`)
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
