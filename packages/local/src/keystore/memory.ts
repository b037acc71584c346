import type { IOOptions } from '@strata/objectstore'
import { NotFoundError } from '@strata/objectstore'
import type { KeyStore } from './contract.js'
import { assertKeyBytes, assertKeyName } from './names.js'

/**
 * A key store in memory, for tests and ephemeral nodes: keys vanish with the process. Stores and
 * answers copies, so callers can wipe their buffers. `open`/`close` do nothing; `close` keeps the keys.
 */
export class MemoryKeyStore implements KeyStore {
  readonly #keys = new Map<string, Uint8Array>()

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async get(name: string, options: IOOptions = {}): Promise<Uint8Array> {
    assertKeyName(name)
    options.signal?.throwIfAborted()
    const key = this.#keys.get(name)
    if (key === undefined) throw new NotFoundError(name)
    return new Uint8Array(key)
  }

  async put(name: string, key: Uint8Array, options: IOOptions = {}): Promise<void> {
    assertKeyName(name)
    assertKeyBytes(key)
    options.signal?.throwIfAborted()
    this.#keys.set(name, new Uint8Array(key)) // a copy, even of a Buffer (whose slice() is a view)
  }

  async has(name: string, options: IOOptions = {}): Promise<boolean> {
    assertKeyName(name)
    options.signal?.throwIfAborted()
    return this.#keys.has(name)
  }

  async delete(name: string, options: IOOptions = {}): Promise<void> {
    assertKeyName(name)
    options.signal?.throwIfAborted()
    this.#keys.delete(name)
  }

  async *list(options: IOOptions = {}): AsyncGenerator<string> {
    for (const name of [...this.#keys.keys()]) {
      options.signal?.throwIfAborted()
      yield name
    }
  }
}
