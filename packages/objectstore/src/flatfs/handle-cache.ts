import type { Stats } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'

/** A cached file opened for reading, and what `fstat` said of it when it was opened. */
export interface CachedHandle {
  handle: FileHandle
  stats: Stats
}

/** A use of a {@link CachedHandle}: `release()` once the reads are done (idempotent). */
export interface HandleLease extends CachedHandle {
  release(): void
}

interface Entry {
  opening: Promise<CachedHandle>
  /** The handle, once open. */
  ready?: CachedHandle
  users: number
  /** Dropped from the cache (evicted or invalidated): closed once its last user releases it. */
  dropped: boolean
}

/**
 * The read handles of the files read most recently, kept open (LRU, at most `capacity`) and shared
 * by concurrent readers, so a ranged read costs one positioned read instead of open + fstat +
 * read + close. Safe because one process owns a flatfs directory (its lock file) and every write
 * of a key in this process drops that key's entry first (`invalidate`): a reader holding the old
 * handle goes on reading the old file, whole, as after any rename-over.
 */
export class HandleCache {
  readonly #capacity: number
  readonly #entries = new Map<string, Entry>()

  /** @param capacity most files kept open (0 disables the cache: every lease opens and closes). */
  constructor(capacity: number) {
    this.#capacity = capacity
  }

  /**
   * A lease on the open file at `path`, opening (and `fstat`ing) it when it is not cached.
   * @throws the `open` error (`ENOENT` for a missing file).
   */
  async acquire(path: string): Promise<HandleLease> {
    const open = this.tryAcquire(path)
    if (open !== undefined) return open
    let entry = this.#entries.get(path)
    if (entry === undefined) {
      entry = { opening: openFile(path), users: 0, dropped: false }
      if (this.#capacity > 0) this.#entries.set(path, entry)
      else entry.dropped = true
      const created = entry
      created.opening.then(
        (cached) => {
          created.ready = cached
        },
        () => {
          if (this.#entries.get(path) === created) this.#entries.delete(path)
        },
      )
      this.#evict()
    } else this.#touch(path, entry)
    entry.users++
    let cached: CachedHandle
    try {
      cached = await entry.opening
    } catch (error) {
      entry.users--
      throw error
    }
    return leaseOf(entry, cached)
  }

  /** A lease on `path` when its file is cached and open already (no await: the hot path), else undefined. */
  tryAcquire(path: string): HandleLease | undefined {
    const entry = this.#entries.get(path)
    const cached = entry?.ready
    if (entry === undefined || cached === undefined) return undefined
    this.#touch(path, entry)
    entry.users++
    return leaseOf(entry, cached)
  }

  /** Most recently used last. */
  #touch(path: string, entry: Entry): void {
    this.#entries.delete(path)
    this.#entries.set(path, entry)
  }

  /** Drops `path` (it is about to be written, moved or deleted): the next read opens it again. */
  invalidate(path: string): void {
    const entry = this.#entries.get(path)
    if (entry === undefined) return
    this.#entries.delete(path)
    this.#drop(entry)
  }

  /** Drops every entry; open handles close as their readers finish. */
  clear(): void {
    for (const entry of this.#entries.values()) this.#drop(entry)
    this.#entries.clear()
  }

  #evict(): void {
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next()
      if (oldest.done) return
      this.invalidate(oldest.value)
    }
  }

  #drop(entry: Entry): void {
    entry.dropped = true
    if (entry.users === 0) void closeEntry(entry)
  }
}

function leaseOf(entry: Entry, cached: CachedHandle): HandleLease {
  let released = false
  return {
    handle: cached.handle,
    stats: cached.stats,
    release: () => {
      if (released) return
      released = true
      entry.users--
      if (entry.dropped && entry.users === 0) void closeEntry(entry)
    },
  }
}

async function openFile(path: string): Promise<CachedHandle> {
  const handle = await open(path, 'r')
  try {
    return { handle, stats: await handle.stat() }
  } catch (error) {
    await handle.close()
    throw error
  }
}

async function closeEntry(entry: Entry): Promise<void> {
  const cached = await entry.opening.catch(() => undefined)
  await cached?.handle.close().catch(() => {})
}
