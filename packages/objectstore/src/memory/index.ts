import { assertKey, assertSize, collect, single } from '../body.js'
import type { Body, GetOptions, IOOptions, ObjectResult, ObjectStore, PutOptions } from '../contract.js'
import { NotFoundError } from '../errors.js'
import { resolveRange } from '../range.js'

/**
 * An object store held in process memory: for tests and ephemeral mode. Values are held whole
 * (this is the one backend that does so); a put becomes visible only once its body is complete.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly #objects = new Map<string, Uint8Array>()

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async put(key: string, size: number, body: Body, options: PutOptions = {}): Promise<void> {
    assertKey(key)
    assertSize(size)
    const bytes = await collect(body, size, options.signal)
    this.#objects.set(key, bytes)
  }

  async get(key: string, options: GetOptions = {}): Promise<ObjectResult> {
    options.signal?.throwIfAborted()
    assertKey(key)
    const bytes = this.#objects.get(key)
    if (bytes === undefined) throw new NotFoundError(key)
    const { start, end } = resolveRange(options.range, bytes.byteLength)
    // A copy, so a caller that mutates what it read cannot corrupt the store.
    const slice = bytes.slice(start, end + 1)
    return { size: bytes.byteLength, body: single(slice) }
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

  async *list(prefix = '', options: IOOptions = {}): AsyncGenerator<string> {
    for (const key of [...this.#objects.keys()]) {
      options.signal?.throwIfAborted()
      if (key.startsWith(prefix)) yield key
    }
  }
}
