import { createReadStream, type Stats } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  FlatfsLayoutError,
  type GetOptions,
  InvalidKeyError,
  type IOOptions,
  NotFoundError,
  type ObjectResult,
  type ObjectStat,
  type ObjectStore,
  resolveRange,
} from '@strata/objectstore'
import { shardOf } from '@strata/objectstore/flatfs/layout'
import { isErrno } from '@strata/objectstore/fs'
import { ReadOnlyError } from '../errors.js'

/** The shard function of Kubo's (go-ds-flatfs) `blocks/SHARDING`: the only one accepted. */
export const KUBO_SHARDING = '/repo/flatfs/shard/v1/next-to-last/2'

/** Kubo's keys: upper-case base32 (what go-ds-flatfs writes for a blockstore). */
const KEY = /^[A-Z2-7]+$/

/** Options for {@link KuboBlocksStore}. */
export interface KuboBlocksStoreOptions {
  /** The `blocks` directory of a Kubo repository (e.g. `~/.ipfs/blocks`). */
  path: string
}

/**
 * A READ-ONLY object store over a Kubo repository's `blocks/` directory (go-ds-flatfs:
 * `SHARDING` = `/repo/flatfs/shard/v1/next-to-last/2`, files `<NN>/<KEY>.data` with upper-case
 * keys). Its own small reader rather than strata's `FlatfsObjectStore`, which only takes lower-case
 * keys and, opened, writes into its directory (a lock file, `.temp/`, `_README`): this store
 * writes nothing, takes no lock, and may read a repository a running Kubo is using (Kubo writes
 * each block to a temp file and renames it, so a block is read whole or not found). Every write
 * throws `ReadOnlyError`. Use it with `KuboKeyEncoder` (`openKuboBlockstore` does both).
 */
export class KuboBlocksStore implements ObjectStore {
  readonly #path: string
  #opened = false

  constructor(options: KuboBlocksStoreOptions) {
    this.#path = options.path
  }

  /**
   * Checks the directory's `SHARDING` file.
   * @throws {FlatfsLayoutError} no `SHARDING` file, or another shard function.
   */
  async open(): Promise<void> {
    let sharding: string
    try {
      sharding = (await readFile(join(this.#path, 'SHARDING'), 'utf8')).trim()
    } catch (error) {
      throw new FlatfsLayoutError(this.#path, 'no SHARDING file: not a Kubo blocks directory', {
        cause: error,
      })
    }
    if (sharding !== KUBO_SHARDING) {
      throw new FlatfsLayoutError(this.#path, `shard function ${sharding} is not ${KUBO_SHARDING}`)
    }
    this.#opened = true
  }

  async close(): Promise<void> {
    this.#opened = false
  }

  async put(): Promise<void> {
    throw new ReadOnlyError('put')
  }

  async delete(): Promise<void> {
    throw new ReadOnlyError('delete')
  }

  async move(): Promise<void> {
    throw new ReadOnlyError('move')
  }

  async get(key: string, options: GetOptions = {}): Promise<ObjectResult> {
    const { file, stats } = await this.#stat(key, options)
    const range = resolveRange(options.range, stats.size)
    const body =
      range.length === 0
        ? empty()
        : createReadStream(file, {
            start: range.start,
            end: range.end,
            ...(options.signal ? { signal: options.signal } : {}),
          })
    return { ...statOf(stats), range, body }
  }

  async stat(key: string, options: IOOptions = {}): Promise<ObjectStat> {
    return statOf((await this.#stat(key, options)).stats)
  }

  async has(key: string, options: IOOptions = {}): Promise<boolean> {
    try {
      await this.#stat(key, options)
      return true
    } catch (error) {
      if (error instanceof NotFoundError) return false
      throw error
    }
  }

  /** Every key under the shard directories, in no order; `prefix` filters them. */
  async *list(prefix = '', options: IOOptions = {}): AsyncGenerator<string> {
    this.#assertOpen()
    for (const shard of await readdir(this.#path, { withFileTypes: true })) {
      if (!shard.isDirectory() || shard.name.length !== 2) continue
      options.signal?.throwIfAborted()
      for (const name of await readdir(join(this.#path, shard.name))) {
        if (!name.endsWith('.data')) continue
        const key = name.slice(0, -'.data'.length)
        if (KEY.test(key) && shardOf(key) === shard.name && key.startsWith(prefix)) yield key
      }
    }
  }

  async #stat(key: string, options: IOOptions): Promise<{ file: string; stats: Stats }> {
    this.#assertOpen()
    options.signal?.throwIfAborted()
    if (!KEY.test(key)) throw new InvalidKeyError(key, 'Kubo block keys are upper-case base32')
    const file = join(this.#path, shardOf(key), `${key}.data`)
    try {
      const stats = await stat(file)
      if (!stats.isFile()) throw new NotFoundError(key)
      return { file, stats }
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new NotFoundError(key, { cause: error })
      throw error
    }
  }

  #assertOpen(): void {
    if (!this.#opened) throw new Error(`KuboBlocksStore ${this.#path} is not open: call open() first`)
  }
}

function statOf(stats: Stats): ObjectStat {
  return { size: stats.size, etag: `${stats.ino}-${stats.size}-${stats.ctimeMs}`, lastModified: stats.mtime }
}

async function* empty(): AsyncGenerator<Uint8Array> {}
