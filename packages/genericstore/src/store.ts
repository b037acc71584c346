import { type IOOptions, NotFoundError, type ObjectStore, TooLargeError } from '@strata/objectstore'
import type { Codec } from './codec.js'
import { DecodeError, EncodeError, InvalidNamespaceError } from './errors.js'

/** Options for {@link GenericStore}. */
export interface GenericStoreOptions<T> {
  /** Where the encoded records live; opened and closed by the caller. */
  backend: ObjectStore
  /** How records become bytes and back. */
  codec: Codec<T>
  /**
   * Keeps this store's keys apart from other stores on the same backend: keys are stored as
   * `<namespace>/<key>`. Non-empty, without `/`. Default: none (keys stored as given).
   */
  namespace?: string
  /** The largest record read back, in bytes (default 16 MiB); a larger one is a `TooLargeError`. */
  maxRecordSize?: number
}

/** A stored record with its key (relative to the store's namespace). */
export interface Entry<T> {
  key: string
  value: T
}

/** A typed record store: the contract of {@link GenericStore}. */
export interface Store<T> {
  /** @throws {NotFoundError} nothing is stored under `key`. @throws {DecodeError} */
  get(key: string, options?: IOOptions): Promise<T>
  /** Stores `value` under `key`, replacing any previous one. @throws {EncodeError} */
  put(key: string, value: T, options?: IOOptions): Promise<void>
  /** Removes the record; removing a missing one is not an error. */
  delete(key: string, options?: IOOptions): Promise<void>
  has(key: string, options?: IOOptions): Promise<boolean>
  /** Whether any key starts with `prefix` (raw string prefix). */
  hasPrefix(prefix: string, options?: IOOptions): Promise<boolean>
  /** Keys (relative to the namespace) that start with `prefix`, without reading any value. */
  keys(prefix?: string, options?: IOOptions): AsyncIterable<string>
  /** Values whose keys start with `prefix`; keys deleted between listing and reading are skipped. */
  list(prefix?: string, options?: IOOptions): AsyncIterable<T>
  /** Like `list`, with each value's key. */
  entries(prefix?: string, options?: IOOptions): AsyncIterable<Entry<T>>
  /**
   * The first value under `prefix` for which `match` answers true (any value without `match`).
   * @throws {NotFoundError} no such value; its `key` is the prefix.
   */
  getAny(prefix: string, match?: (value: T) => boolean, options?: IOOptions): Promise<T>
}

/**
 * Typed records over any {@link ObjectStore}: each value is encoded by the codec and stored whole
 * under its key. Records are small; reads are bounded by `maxRecordSize`.
 */
export class GenericStore<T> implements Store<T> {
  readonly #backend: ObjectStore
  readonly #codec: Codec<T>
  readonly #prefix: string
  readonly #maxRecordSize: number

  /** @throws {InvalidNamespaceError} */
  constructor(options: GenericStoreOptions<T>) {
    const { namespace } = options
    if (namespace !== undefined && (namespace.length === 0 || namespace.includes('/'))) {
      throw new InvalidNamespaceError(namespace)
    }
    this.#backend = options.backend
    this.#codec = options.codec
    this.#prefix = namespace === undefined ? '' : `${namespace}/`
    this.#maxRecordSize = options.maxRecordSize ?? 16 * 1024 * 1024
  }

  async get(key: string, options: IOOptions = {}): Promise<T> {
    return this.#read(key, options)
  }

  async put(key: string, value: T, options: IOOptions = {}): Promise<void> {
    let bytes: Uint8Array
    try {
      bytes = this.#codec.encode(value)
    } catch (error) {
      throw new EncodeError(key, this.#codec.name, { cause: error })
    }
    await this.#backend.put(this.#prefix + key, bytes.byteLength, bytes, options)
  }

  async delete(key: string, options: IOOptions = {}): Promise<void> {
    await this.#backend.delete(this.#prefix + key, options)
  }

  async has(key: string, options: IOOptions = {}): Promise<boolean> {
    return this.#backend.has(this.#prefix + key, options)
  }

  async hasPrefix(prefix: string, options: IOOptions = {}): Promise<boolean> {
    for await (const _key of this.#backend.list(this.#prefix + prefix, options)) return true
    return false
  }

  async *keys(prefix = '', options: IOOptions = {}): AsyncGenerator<string> {
    for await (const stored of this.#backend.list(this.#prefix + prefix, options)) {
      yield stored.slice(this.#prefix.length)
    }
  }

  async *list(prefix = '', options: IOOptions = {}): AsyncGenerator<T> {
    for await (const entry of this.entries(prefix, options)) yield entry.value
  }

  async *entries(prefix = '', options: IOOptions = {}): AsyncGenerator<Entry<T>> {
    for await (const stored of this.#backend.list(this.#prefix + prefix, options)) {
      const key = stored.slice(this.#prefix.length)
      try {
        yield { key, value: await this.#read(key, options) }
      } catch (error) {
        // Deleted between listing and reading: not part of the answer.
        if (error instanceof NotFoundError) continue
        throw error
      }
    }
  }

  async getAny(prefix: string, match?: (value: T) => boolean, options: IOOptions = {}): Promise<T> {
    for await (const value of this.list(prefix, options)) {
      if (match === undefined || match(value)) return value
    }
    throw new NotFoundError(prefix)
  }

  async #read(key: string, options: IOOptions): Promise<T> {
    const result = await this.#backend.get(this.#prefix + key, options).catch((error: unknown) => {
      // Name the key as the caller knows it, without the namespace.
      throw error instanceof NotFoundError ? new NotFoundError(key, { cause: error }) : error
    })
    const { size, body } = result
    if (size > this.#maxRecordSize) {
      await body[Symbol.asyncIterator]().return?.()
      throw new TooLargeError(this.#maxRecordSize, size)
    }
    // A backend holding the value whole hands it over in one piece: no stream to drain.
    const bytes = result.bytes ?? (await readWhole(body, size))
    try {
      return this.#codec.decode(bytes)
    } catch (error) {
      throw new DecodeError(key, this.#codec.name, { cause: error })
    }
  }
}

async function readWhole(body: AsyncIterable<Uint8Array>, size: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(size)
  let offset = 0
  for await (const chunk of body) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
