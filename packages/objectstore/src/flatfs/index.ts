import { randomUUID } from 'node:crypto'
import { createWriteStream, open as openCallback, type Stats } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { assertKey, assertSize, exactly, single } from '../body.js'
import type {
  Body,
  GetOptions,
  IOOptions,
  ObjectResult,
  ObjectStat,
  ObjectStore,
  PutOptions,
} from '../contract.js'
import { FlatfsLayoutError, InsufficientStorageError, InvalidKeyError, NotFoundError } from '../errors.js'
import { checkConditions, isConditional } from '../etag.js'
import { isErrno, isNoSpace, syncPath } from '../fs.js'
import { KeyLock } from '../key-lock.js'
import { resolveRange } from '../range.js'
import { lockDirectory } from './dir-lock.js'
import { HandleCache } from './handle-cache.js'
import {
  EXTENSION,
  invalidKeyReason,
  README_FILE,
  README_TEXT,
  SHARD_ID,
  SHARDING_FILE,
  SHARDING_FILES,
  shardOf,
  TEMP_DIR,
} from './layout.js'
import { PositionedBody, readAt } from './positioned-body.js'
import { ReadBuffers } from './read-buffers.js'

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
  /** Bytes per read from disk (default 256 KiB); a range up to this size is one read into one buffer. */
  readChunkSize?: number
  /**
   * Files kept open for reading (default 256; 0 = none): the most recently read ones, shared by
   * concurrent readers, so a small ranged read is one positioned read.
   */
  openFiles?: number
  /** Bytes buffered per write to disk (default 1 MiB). */
  writeBufferSize?: number
}

/** The etag of a file: inode, size and change time, which every rename-over changes. */
function etagOf(stats: Stats): string {
  return `${stats.ino.toString(36)}-${stats.size.toString(36)}-${Math.round(stats.ctimeMs * 1000).toString(36)}`
}

/** What the open files of the handle cache are, worked out once per file (reads of one file share its `Stats`). */
const described = new WeakMap<Stats, ObjectStat>()

function statOf(stats: Stats): ObjectStat {
  let found = described.get(stats)
  if (found === undefined) {
    found = { size: stats.size, etag: etagOf(stats), lastModified: stats.mtime }
    described.set(stats, found)
  }
  return found
}

/**
 * Objects as files in a go-ds-flatfs / Piri compatible directory tree (`next-to-last/2` sharding).
 * Writes stream into `.temp/` and are renamed into place, so they are atomic and concurrent
 * writers of one key never interleave (the last rename wins). Reads stream from the requested
 * offset: a range never reads bytes outside itself.
 *
 * One process per directory: `open()` takes a lock file (`.lock`, the holder's pid) and refuses a
 * directory held by a live process. Within the process, renames into one key are serialised, so a
 * conditional put's check and rename are atomic.
 */
export class FlatfsObjectStore implements ObjectStore {
  readonly #root: string
  readonly #temp: string
  readonly #fsync: boolean
  readonly #readChunkSize: number
  readonly #writeBufferSize: number
  readonly #lock = new KeyLock()
  readonly #handles: HandleCache
  readonly #buffers = new ReadBuffers()
  readonly #recycle = (chunk: Uint8Array) => this.#buffers.recycle(chunk)
  #unlock: (() => Promise<void>) | undefined

  constructor(options: FlatfsObjectStoreOptions) {
    this.#root = resolve(options.path) // absolute, no trailing separator: paths are built by concatenation
    this.#temp = join(options.path, TEMP_DIR)
    this.#fsync = options.fsync ?? false
    this.#readChunkSize = options.readChunkSize ?? 256 * 1024
    this.#writeBufferSize = options.writeBufferSize ?? 1024 * 1024
    this.#handles = new HandleCache(options.openFiles ?? 256)
  }

  /**
   * Creates the layout in an empty or missing directory, or checks an existing one, takes the
   * directory lock, then empties `.temp` (left-overs of interrupted writes). Idempotent.
   * A directory js-stores' `datastore-fs` made (`SHARDING.data` instead of `SHARDING`) opens too,
   * when its shard function is `next-to-last/2`; a new store writes `SHARDING`.
   * @throws {FlatfsLayoutError} the directory has content but no `SHARDING`, or another shard function.
   * @throws {StoreLockedError} another live process (or another store in this one) has it open.
   */
  async open(): Promise<void> {
    if (this.#unlock) return
    await mkdir(this.#root, { recursive: true })
    const sharding = await this.#readSharding()
    if (sharding === undefined) {
      await this.#initialise()
    } else if (sharding.text.trim() !== SHARD_ID) {
      throw new FlatfsLayoutError(
        this.#root,
        `${sharding.file}: shard function ${sharding.text.trim()} is not ${SHARD_ID}`,
      )
    }
    const unlock = await lockDirectory(this.#root)
    try {
      await rm(this.#temp, { recursive: true, force: true })
      await mkdir(this.#temp)
    } catch (error) {
      await unlock()
      throw error
    }
    this.#unlock = unlock
  }

  /** Releases the directory lock. Idempotent. */
  async close(): Promise<void> {
    const unlock = this.#unlock
    this.#unlock = undefined
    this.#handles.clear()
    await unlock?.()
  }

  async put(key: string, size: number | undefined, body: Body, options: PutOptions = {}): Promise<void> {
    const target = this.#pathOf(key)
    assertSize(size)
    options.signal?.throwIfAborted()
    const temp = join(this.#temp, `put-${randomUUID()}`)
    try {
      await this.#writeTemp(temp, size, body, options.signal)
      await this.#lock.run(key, async () => {
        if (isConditional(options)) checkConditions(key, (await this.#statOf(target))?.etag, options)
        await this.#rename(temp, target, key)
      })
    } catch (error) {
      await unlink(temp).catch(() => {})
      if (isNoSpace(error)) throw new InsufficientStorageError('flatfs', { cause: error })
      throw error
    }
  }

  /**
   * One positioned read into one buffer for a range up to `readChunkSize` (the handle comes from
   * the cache of open files when it holds the key), else positioned reads of `readChunkSize`. The
   * buffers come from a pool the answer's `recycle` gives them back to.
   */
  async get(key: string, options: GetOptions = {}): Promise<ObjectResult> {
    const path = this.#pathOf(key)
    const { signal } = options
    signal?.throwIfAborted()
    let lease = this.#handles.tryAcquire(path)
    if (lease === undefined) {
      try {
        lease = await this.#handles.acquire(path)
      } catch (error) {
        if (isErrno(error, 'ENOENT')) throw new NotFoundError(key, { cause: error })
        throw error
      }
    }
    try {
      const found = statOf(lease.stats)
      const range = resolveRange(options.range, found.size)
      if (range.length <= this.#readChunkSize) {
        const bytes =
          range.length === 0
            ? new Uint8Array(0)
            : await readAt(lease, this.#buffers.take(range.length), range.start)
        lease.release()
        return { ...found, range, body: single(bytes), bytes, recycle: this.#recycle }
      }
      return {
        ...found,
        range,
        body: new PositionedBody(lease, this.#buffers, range, this.#readChunkSize, signal),
        recycle: this.#recycle,
      }
    } catch (error) {
      lease.release()
      throw error
    }
  }

  async stat(key: string, options: IOOptions = {}): Promise<ObjectStat> {
    const path = this.#pathOf(key)
    options.signal?.throwIfAborted()
    const found = await this.#statOf(path)
    if (found === undefined) throw new NotFoundError(key)
    return found
  }

  async has(key: string, options: IOOptions = {}): Promise<boolean> {
    const path = this.#pathOf(key)
    options.signal?.throwIfAborted()
    return (await this.#statOf(path)) !== undefined
  }

  async delete(key: string, options: IOOptions = {}): Promise<void> {
    const path = this.#pathOf(key)
    options.signal?.throwIfAborted()
    await this.#lock.run(key, () => {
      this.#handles.invalidate(path)
      return unlink(path)
        .catch((error: unknown) => {
          if (!isErrno(error, 'ENOENT')) throw error
        })
        .finally(() => this.#handles.invalidate(path))
    })
  }

  /** One rename inside the store (atomic; both keys are files under the same root). */
  async move(from: string, to: string, options: IOOptions = {}): Promise<void> {
    const source = this.#pathOf(from)
    const target = this.#pathOf(to)
    options.signal?.throwIfAborted()
    await this.#lock.run(to, async () => {
      try {
        await this.#rename(source, target, to)
      } catch (error) {
        if (isErrno(error, 'ENOENT') && (await this.#statOf(source)) === undefined) {
          throw new NotFoundError(from, { cause: error })
        }
        throw error
      }
    })
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

  async #statOf(path: string): Promise<ObjectStat | undefined> {
    try {
      const stats = await stat(path)
      return stats.isFile() ? statOf(stats) : undefined
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined
      throw error
    }
  }

  /** `SHARDING` (go-ds-flatfs, Piri), else `SHARDING.data` (js-stores' datastore-fs), else none. */
  async #readSharding(): Promise<{ file: string; text: string } | undefined> {
    for (const file of SHARDING_FILES) {
      const text = await readFile(join(this.#root, file), 'utf8').catch((error: unknown) => {
        if (isErrno(error, 'ENOENT')) return undefined
        throw error
      })
      if (text !== undefined) return { file, text }
    }
    return undefined
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

  async #writeTemp(temp: string, size: number | undefined, body: Body, signal?: AbortSignal): Promise<void> {
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

  async #rename(from: string, target: string, key: string): Promise<void> {
    const dir = join(this.#root, shardOf(key))
    this.#handles.invalidate(from)
    this.#handles.invalidate(target)
    try {
      await rename(from, target)
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error
      await mkdir(dir, { recursive: true })
      await rename(from, target)
    } finally {
      // A read that opened the old file meanwhile cached it: drop it again.
      this.#handles.invalidate(target)
    }
    if (this.#fsync) await syncPath(dir)
  }

  #pathOf(key: string): string {
    this.#assertOpen()
    assertKey(key)
    const reason = invalidKeyReason(key)
    if (reason !== undefined) throw new InvalidKeyError(key, reason)
    return `${this.#root}${sep}${shardOf(key)}${sep}${key}${EXTENSION}`
  }

  #assertOpen(): void {
    if (!this.#unlock) throw new Error(`FlatfsObjectStore at ${this.#root} is not open: call open() first`)
  }
}
