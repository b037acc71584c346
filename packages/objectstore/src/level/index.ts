import { mkdir } from 'node:fs/promises'
import { LevelDatastore } from 'datastore-level'
import type {
  Body,
  GetOptions,
  IOOptions,
  ObjectResult,
  ObjectStat,
  ObjectStore,
  PutOptions,
} from '../contract.js'
import { DatastoreObjectStore } from '../datastore/index.js'

/** Options for {@link LevelObjectStore}. */
export interface LevelObjectStoreOptions {
  /** The LevelDB directory; `open()` creates it (mode 0700, with its parents) when missing. */
  path: string
  /** The largest object accepted, in bytes (default 64 MiB): LevelDB holds values whole. */
  maxObjectSize?: number
}

/**
 * An object store in a LevelDB directory on local disk (`datastore-level`), for records: small
 * values held whole, keys in sorted order, conditional puts serialised per key (LevelDB's own lock
 * keeps a second process out of the directory). Unlike a bare `LevelDatastore`, which opens its
 * database on the tick after construction, nothing happens before `open()`, and `close()` releases
 * the lock, so a store can be opened again. Calls before `open()` or after `close()` throw.
 */
export class LevelObjectStore implements ObjectStore {
  readonly #path: string
  readonly #maxObjectSize: number | undefined
  #opened: { datastore: LevelDatastore; store: DatastoreObjectStore } | undefined

  constructor(options: LevelObjectStoreOptions) {
    this.#path = options.path
    this.#maxObjectSize = options.maxObjectSize
  }

  /** The LevelDB directory. */
  get path(): string {
    return this.#path
  }

  /**
   * Creates the directory and opens the database. Idempotent.
   * @throws {Error} LevelDB cannot open it (e.g. another process holds its lock).
   */
  async open(): Promise<void> {
    if (this.#opened) return
    await mkdir(this.#path, { recursive: true, mode: 0o700 })
    const datastore = new LevelDatastore(this.#path)
    await datastore.open()
    const max = this.#maxObjectSize === undefined ? {} : { maxObjectSize: this.#maxObjectSize }
    this.#opened = { datastore, store: new DatastoreObjectStore({ datastore, ...max }) }
  }

  /** Closes the database, releasing its lock. Idempotent. */
  async close(): Promise<void> {
    const opened = this.#opened
    this.#opened = undefined
    await opened?.datastore.close()
  }

  put(key: string, size: number | undefined, body: Body, options?: PutOptions): Promise<void> {
    return this.#store().put(key, size, body, options)
  }

  get(key: string, options?: GetOptions): Promise<ObjectResult> {
    return this.#store().get(key, options)
  }

  stat(key: string, options?: IOOptions): Promise<ObjectStat> {
    return this.#store().stat(key, options)
  }

  has(key: string, options?: IOOptions): Promise<boolean> {
    return this.#store().has(key, options)
  }

  delete(key: string, options?: IOOptions): Promise<void> {
    return this.#store().delete(key, options)
  }

  move(from: string, to: string, options?: IOOptions): Promise<void> {
    return this.#store().move(from, to, options)
  }

  list(prefix?: string, options?: IOOptions): AsyncIterable<string> {
    return this.#store().list(prefix, options)
  }

  #store(): DatastoreObjectStore {
    if (!this.#opened) throw new Error(`LevelObjectStore at ${this.#path} is not open: call open() first`)
    return this.#opened.store
  }
}
