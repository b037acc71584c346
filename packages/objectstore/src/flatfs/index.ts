import { randomUUID } from 'node:crypto'
import { createWriteStream, open as openCallback } from 'node:fs'
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises'
import { join } from 'node:path'
import { addAbortSignal } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { assertKey, assertSize, exactly, single } from '../body.js'
import type { Body, GetOptions, IOOptions, ObjectResult, ObjectStore, PutOptions } from '../contract.js'
import { InsufficientStorageError, InvalidKeyError, NotFoundError } from '../errors.js'
import { resolveRange } from '../range.js'
import { isErrno, isNoSpace, syncPath } from './fs-util.js'
import {
  EXTENSION,
  invalidKeyReason,
  README_FILE,
  README_TEXT,
  SHARD_ID,
  SHARDING_FILE,
  shardOf,
  TEMP_DIR,
} from './layout.js'

export { invalidKeyReason, SHARD_ID, shardOf } from './layout.js'

const openFd = promisify(openCallback)

/** Options for {@link FlatfsObjectStore}. */
export interface FlatfsObjectStoreOptions {
  /** The store's root directory; created by `open()` when missing. */
  path: string
  /**
   * fsync each object file and its shard directory before `put` resolves. Off by default, as in
   * Piri: without it an acknowledged write can be lost (never torn: the rename is atomic) if the
   * machine loses power before the OS flushes; with it every put pays two fsyncs.
   */
  fsync?: boolean
  /** Bytes per read from disk (default 256 KiB). */
  readChunkSize?: number
  /** Bytes buffered per write to disk (default 1 MiB). */
  writeBufferSize?: number
}

/** The directory is not a flatfs store this class can use (foreign content or shard function). */
export class FlatfsLayoutError extends Error {
  override readonly name = 'FlatfsLayoutError'
  readonly path: string

  constructor(path: string, message: string) {
    super(`${path}: ${message}`)
    this.path = path
  }
}

/**
 * Objects as files in a go-ds-flatfs / Piri compatible directory tree (`next-to-last/2` sharding).
 * Writes stream into `.temp/` and are renamed into place, so they are atomic and concurrent
 * writers of one key never interleave (the last rename wins). Reads stream from the requested
 * offset: a range never reads bytes outside itself.
 */
export class FlatfsObjectStore implements ObjectStore {
  readonly #root: string
  readonly #temp: string
  readonly #fsync: boolean
  readonly #readChunkSize: number
  readonly #writeBufferSize: number
  #opened = false

  constructor(options: FlatfsObjectStoreOptions) {
    this.#root = options.path
    this.#temp = join(options.path, TEMP_DIR)
    this.#fsync = options.fsync ?? false
    this.#readChunkSize = options.readChunkSize ?? 256 * 1024
    this.#writeBufferSize = options.writeBufferSize ?? 1024 * 1024
  }

  /**
   * Creates the layout in an empty or missing directory, or checks an existing one, then empties
   * `.temp` (left-overs of interrupted writes).
   * @throws {FlatfsLayoutError} the directory has content but no `SHARDING`, or another shard function.
   */
  async open(): Promise<void> {
    if (this.#opened) return
    await mkdir(this.#root, { recursive: true })
    const sharding = await readFile(join(this.#root, SHARDING_FILE), 'utf8').catch((error: unknown) => {
      if (isErrno(error, 'ENOENT')) return undefined
      throw error
    })
    if (sharding === undefined) {
      await this.#initialise()
    } else if (sharding.trim() !== SHARD_ID) {
      throw new FlatfsLayoutError(this.#root, `shard function ${sharding.trim()} is not ${SHARD_ID}`)
    }
    await rm(this.#temp, { recursive: true, force: true })
    await mkdir(this.#temp)
    this.#opened = true
  }

  async close(): Promise<void> {
    this.#opened = false
  }

  async put(key: string, size: number, body: Body, options: PutOptions = {}): Promise<void> {
    const target = this.#pathOf(key)
    assertSize(size)
    options.signal?.throwIfAborted()
    const temp = join(this.#temp, `put-${randomUUID()}`)
    try {
      await this.#writeTemp(temp, size, body, options.signal)
      await this.#rename(temp, target, key)
    } catch (error) {
      await unlink(temp).catch(() => {})
      if (isNoSpace(error)) {
        throw new InsufficientStorageError('flatfs', { cause: error })
      }
      throw error
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<ObjectResult> {
    const path = this.#pathOf(key)
    options.signal?.throwIfAborted()
    let handle: FileHandle
    try {
      handle = await open(path, 'r')
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new NotFoundError(key, { cause: error })
      throw error
    }
    try {
      const { size } = await handle.stat()
      const range = resolveRange(options.range, size)
      if (range.length === 0) {
        await handle.close()
        return { size, body: single(new Uint8Array(0)) }
      }
      const stream = handle.createReadStream({
        start: range.start,
        end: range.end,
        highWaterMark: this.#readChunkSize,
      })
      if (options.signal) addAbortSignal(options.signal, stream)
      return { size, body: stream }
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  async has(key: string, options: IOOptions = {}): Promise<boolean> {
    const path = this.#pathOf(key)
    options.signal?.throwIfAborted()
    try {
      return (await stat(path)).isFile()
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false
      throw error
    }
  }

  async delete(key: string, options: IOOptions = {}): Promise<void> {
    const path = this.#pathOf(key)
    options.signal?.throwIfAborted()
    try {
      await unlink(path)
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error
    }
  }

  /** Walks every shard directory; keys are filtered by raw string prefix. */
  async *list(prefix = '', options: IOOptions = {}): AsyncGenerator<string> {
    this.#assertOpen()
    const shards = await readdir(this.#root, { withFileTypes: true })
    for (const shard of shards) {
      if (!shard.isDirectory() || shard.name === TEMP_DIR) continue
      const entries = await readdir(join(this.#root, shard.name)).catch((error: unknown) => {
        if (isErrno(error, 'ENOENT')) return []
        throw error
      })
      for (const name of entries) {
        options.signal?.throwIfAborted()
        if (!name.endsWith(EXTENSION)) continue
        const key = name.slice(0, -EXTENSION.length)
        if (key.startsWith(prefix) && shardOf(key) === shard.name) yield key
      }
    }
  }

  async #initialise(): Promise<void> {
    const existing = await readdir(this.#root)
    if (existing.length > 0) {
      throw new FlatfsLayoutError(
        this.#root,
        `not empty and has no ${SHARDING_FILE} file: not a flatfs store`,
      )
    }
    await writeFile(join(this.#root, SHARDING_FILE), `${SHARD_ID}\n`, { flag: 'wx', mode: 0o666 })
    await writeFile(join(this.#root, README_FILE), README_TEXT, { flag: 'wx', mode: 0o444 })
  }

  async #writeTemp(temp: string, size: number, body: Body, signal?: AbortSignal): Promise<void> {
    // Opened before streaming, so the file exists by the time a failure unlinks it; the stream owns
    // (and closes) the descriptor from here on.
    const fd = await openFd(temp, 'wx', 0o644)
    const file = createWriteStream(temp, { fd, highWaterMark: this.#writeBufferSize })
    const source = exactly(body, size, signal)
    // Node 20's pipeline never settles when handed an empty options object: pass one only with a signal.
    await (signal ? pipeline(source, file, { signal }) : pipeline(source, file))
    // fsync flushes the file's data whichever descriptor wrote it.
    if (this.#fsync) await syncPath(temp)
  }

  async #rename(temp: string, target: string, key: string): Promise<void> {
    const dir = join(this.#root, shardOf(key))
    try {
      await rename(temp, target)
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error
      await mkdir(dir, { recursive: true })
      await rename(temp, target)
    }
    if (this.#fsync) await syncPath(dir)
  }

  #pathOf(key: string): string {
    this.#assertOpen()
    assertKey(key)
    const reason = invalidKeyReason(key)
    if (reason !== undefined) throw new InvalidKeyError(key, reason)
    return join(this.#root, shardOf(key), `${key}${EXTENSION}`)
  }

  #assertOpen(): void {
    if (!this.#opened) throw new Error(`FlatfsObjectStore at ${this.#root} is not open: call open() first`)
  }
}
