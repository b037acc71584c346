import { type Datastore, Key } from 'interface-datastore'
import { assertKey, assertSize, collect, single } from '../body.js'
import type {
  Body,
  GetOptions,
  IOOptions,
  ObjectResult,
  ObjectStat,
  ObjectStore,
  PutOptions,
} from '../contract.js'
import { InsufficientStorageError, InvalidKeyError, NotFoundError, TooLargeError } from '../errors.js'
import { checkConditions, contentEtag, isConditional } from '../etag.js'
import { isNoSpace } from '../fs.js'
import { KeyLock } from '../key-lock.js'
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
 * `/<key>`; keys the datastore would rewrite (a trailing `/`) are refused so two keys can never
 * collide. `list(prefix)` matches raw string prefixes, whatever the datastore's own prefix
 * semantics. Etags are MD5 hex of the value. Writes to one key are serialised in this process,
 * which makes conditional puts atomic for every writer that goes through this store (LevelDB's
 * lock keeps other processes out). The datastore's lifecycle belongs to the caller: `open`/`close`
 * do nothing.
 */
export class DatastoreObjectStore implements ObjectStore {
  readonly #datastore: Datastore
  readonly #maxObjectSize: number
  readonly #lock = new KeyLock()

  constructor(options: DatastoreObjectStoreOptions) {
    this.#datastore = options.datastore
    this.#maxObjectSize = options.maxObjectSize ?? 64 * 1024 * 1024
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async put(key: string, size: number | undefined, body: Body, options: PutOptions = {}): Promise<void> {
    const dsKey = toDatastoreKey(key)
    assertSize(size)
    if (size !== undefined && size > this.#maxObjectSize) throw new TooLargeError(this.#maxObjectSize, size)
    // A whole body of the declared size is copied once (some datastores keep the very buffer).
    const bytes =
      body instanceof Uint8Array && body.byteLength === size && !options.signal?.aborted
        ? body.slice()
        : await collect(body, size, options.signal, this.#maxObjectSize)
    await this.#lock.run(key, async () => {
      if (isConditional(options)) checkConditions(key, await this.#etagOf(dsKey, options), options)
      await noSpaceAs(() => this.#datastore.put(dsKey, bytes, signalOption(options)))
    })
  }

  /** The value whole (`bytes`), its etag computed only when asked for. */
  async get(key: string, options: GetOptions = {}): Promise<ObjectResult> {
    const stored = await this.#read(key, options)
    const range = resolveRange(options.range, stored.byteLength)
    // A copy: some datastores (MemoryDatastore) answer the buffer they hold.
    const bytes = stored.slice(range.start, range.end + 1)
    return withEtag({ size: stored.byteLength, range, bytes, body: single(bytes) }, stored)
  }

  async stat(key: string, options: IOOptions = {}): Promise<ObjectStat> {
    const stored = await this.#read(key, options)
    return withEtag({ size: stored.byteLength }, stored)
  }

  async has(key: string, options: IOOptions = {}): Promise<boolean> {
    return this.#datastore.has(toDatastoreKey(key), signalOption(options))
  }

  async delete(key: string, options: IOOptions = {}): Promise<void> {
    const dsKey = toDatastoreKey(key)
    // LevelDB logs a delete too: it can fail on a full disk
    await this.#lock.run(key, () => noSpaceAs(() => this.#datastore.delete(dsKey, signalOption(options))))
  }

  /** A read of `from`, then one batch that writes `to` and deletes `from` (atomic on LevelDB). */
  async move(from: string, to: string, options: IOOptions = {}): Promise<void> {
    const bytes = await this.#read(from, options)
    const target = toDatastoreKey(to)
    if (from === to) return
    await this.#lock.run(to, () =>
      noSpaceAs(async () => {
        const batch = this.#datastore.batch()
        batch.put(target, bytes)
        batch.delete(toDatastoreKey(from))
        await batch.commit(signalOption(options))
      }),
    )
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

  async #read(key: string, options: IOOptions): Promise<Uint8Array> {
    const dsKey = toDatastoreKey(key)
    try {
      return await this.#datastore.get(dsKey, signalOption(options))
    } catch (error) {
      if (error instanceof Error && error.name === 'NotFoundError')
        throw new NotFoundError(key, { cause: error })
      throw error
    }
  }

  async #etagOf(dsKey: Key, options: IOOptions): Promise<string | undefined> {
    try {
      return contentEtag(await this.#datastore.get(dsKey, signalOption(options)))
    } catch (error) {
      if (error instanceof Error && error.name === 'NotFoundError') return undefined
      throw error
    }
  }
}

/** `value` with an `etag` property computed (MD5 of `stored`) the first time it is read. */
function withEtag<T extends object>(value: T, stored: Uint8Array): T & { etag: string } {
  let etag: string | undefined
  return Object.defineProperty(value, 'etag', {
    enumerable: true,
    get: () => {
      etag ??= contentEtag(stored)
      return etag
    },
  }) as T & { etag: string }
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
