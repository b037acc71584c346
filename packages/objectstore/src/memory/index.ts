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
import { NotFoundError } from '../errors.js'
import { checkConditions, contentEtag } from '../etag.js'
import { resolveRange } from '../range.js'

interface Stored {
  bytes: Uint8Array
  etag: string
  lastModified: Date
}

/**
 * An object store held in process memory: for tests and ephemeral mode. Values are held whole; a
 * put becomes visible only once its body is complete, and its conditions are checked at that
 * moment, in the same turn as the write (so compare-and-swap is atomic). Etags are MD5 hex;
 * `lastModified` is when the put (or move) committed.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly #objects = new Map<string, Stored>()

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async put(key: string, size: number | undefined, body: Body, options: PutOptions = {}): Promise<void> {
    assertKey(key)
    assertSize(size)
    const bytes = await collect(body, size, options.signal)
    checkConditions(key, this.#objects.get(key)?.etag, options)
    this.#objects.set(key, { bytes, etag: contentEtag(bytes), lastModified: new Date() })
  }

  async get(key: string, options: GetOptions = {}): Promise<ObjectResult> {
    const { bytes, etag, lastModified } = this.#find(key, options)
    const range = resolveRange(options.range, bytes.byteLength)
    // A copy, so a caller that mutates what it read cannot corrupt the store.
    const slice = bytes.slice(range.start, range.end + 1)
    return { size: bytes.byteLength, etag, lastModified, range, bytes: slice, body: single(slice) }
  }

  async stat(key: string, options: IOOptions = {}): Promise<ObjectStat> {
    const { bytes, etag, lastModified } = this.#find(key, options)
    return { size: bytes.byteLength, etag, lastModified }
  }

  async has(key: string, options: IOOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    assertKey(key)
    return this.#objects.has(key)
  }

  async delete(key: string, options: IOOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    assertKey(key)
    this.#objects.delete(key)
  }

  async move(from: string, to: string, options: IOOptions = {}): Promise<void> {
    const stored = this.#find(from, options)
    assertKey(to)
    this.#objects.set(to, { ...stored, lastModified: new Date() })
    if (from !== to) this.#objects.delete(from)
  }

  async *list(prefix = '', options: IOOptions = {}): AsyncGenerator<string> {
    for (const key of [...this.#objects.keys()]) {
      options.signal?.throwIfAborted()
      if (key.startsWith(prefix)) yield key
    }
  }

  #find(key: string, options: IOOptions): Stored {
    options.signal?.throwIfAborted()
    assertKey(key)
    const stored = this.#objects.get(key)
    if (stored === undefined) throw new NotFoundError(key)
    return stored
  }
}
