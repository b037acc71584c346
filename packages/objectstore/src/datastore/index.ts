import { type Datastore, Key } from 'interface-datastore'
import { assertKey, assertSize, collect, single } from '../body.js'
import type { Body, GetOptions, IOOptions, ObjectResult, ObjectStore, PutOptions } from '../contract.js'
import { InsufficientStorageError, InvalidKeyError, NotFoundError, TooLargeError } from '../errors.js'
import { isNoSpace } from '../flatfs/fs-util.js'
import { resolveRange } from '../range.js'

/** Options for {@link DatastoreObjectStore}. */
export interface DatastoreObjectStoreOptions {
  /** Any `interface-datastore` Datastore (e.g. `LevelDatastore`, `MemoryDatastore`), opened by the caller. */
  datastore: Datastore
  /**
   * The largest object accepted, in bytes (default 64 MiB). A datastore stores values whole, so a
   * put holds its object in memory once: this backend is for records, not blobs.
   */
  maxObjectSize?: number
}

/**
 * An object store over any `interface-datastore` Datastore. Keys map to datastore keys as
 * `/<key>`; keys the datastore would rewrite (a trailing `/`) are refused so
 * two keys can never collide. `list(prefix)` matches raw string prefixes, whatever the datastore's
 * own prefix semantics. The datastore's lifecycle belongs to the caller: `open`/`close` do nothing.
 */
export class DatastoreObjectStore implements ObjectStore {
  readonly #datastore: Datastore
  readonly #maxObjectSize: number

  constructor(options: DatastoreObjectStoreOptions) {
    this.#datastore = options.datastore
    this.#maxObjectSize = options.maxObjectSize ?? 64 * 1024 * 1024
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async put(key: string, size: number, body: Body, options: PutOptions = {}): Promise<void> {
    const dsKey = toDatastoreKey(key)
    assertSize(size)
    if (size > this.#maxObjectSize) throw new TooLargeError(this.#maxObjectSize, size)
    const bytes = await collect(body, size, options.signal)
    await noSpaceAs(() => this.#datastore.put(dsKey, bytes, signalOption(options)))
  }

  async get(key: string, options: GetOptions = {}): Promise<ObjectResult> {
    const dsKey = toDatastoreKey(key)
    let bytes: Uint8Array
    try {
      bytes = await this.#datastore.get(dsKey, signalOption(options))
    } catch (error) {
      if (error instanceof Error && error.name === 'NotFoundError')
        throw new NotFoundError(key, { cause: error })
      throw error
    }
    const { start, end } = resolveRange(options.range, bytes.byteLength)
    return { size: bytes.byteLength, body: single(bytes.slice(start, end + 1)) }
  }

  async has(key: string, options: IOOptions = {}): Promise<boolean> {
    return this.#datastore.has(toDatastoreKey(key), signalOption(options))
  }

  async delete(key: string, options: IOOptions = {}): Promise<void> {
    // LevelDB logs a delete too: it can fail on a full disk
    await noSpaceAs(() => this.#datastore.delete(toDatastoreKey(key), signalOption(options)))
  }

  async *list(prefix = '', options: IOOptions = {}): AsyncGenerator<string> {
    // Ask the datastore for the enclosing path segment (correct under both segment and raw
    // prefix semantics), then filter by the raw prefix ourselves.
    const segment = prefix.includes('/') ? `/${prefix.slice(0, prefix.lastIndexOf('/'))}` : '/'
    for await (const dsKey of this.#datastore.queryKeys({ prefix: segment }, signalOption(options))) {
      const key = dsKey.toString().slice(1)
      if (key.startsWith(prefix)) yield key
    }
  }
}

/** Runs a datastore write, reporting a full disk ({@link isNoSpace}) as {@link InsufficientStorageError}. */
async function noSpaceAs(write: () => unknown): Promise<void> {
  try {
    await write()
  } catch (error) {
    if (isNoSpace(error)) throw new InsufficientStorageError('datastore', { cause: error })
    throw error
  }
}

/**
 * Maps an object key to the datastore key `/<key>`.
 * @throws {InvalidKeyError} when the datastore would rewrite the key.
 */
export function toDatastoreKey(key: string): Key {
  assertKey(key)
  const raw = `/${key}`
  const dsKey = new Key(raw)
  if (dsKey.toString() !== raw) {
    throw new InvalidKeyError(key, 'datastore keys cannot end with "/"')
  }
  return dsKey
}

function signalOption(options: IOOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {}
}
