import type { IOOptions, ObjectStore } from '@strata/objectstore'
import type { KeyStore } from './contract.js'
import { assertKeyBytes, assertKeyName } from './names.js'

/** Options for {@link ObjectKeyStore}. */
export interface ObjectKeyStoreOptions {
  /**
   * An object store on the local disk or in memory, opened and closed by its owner. Never a remote
   * one (S3): private keys must not leave the node.
   */
  backend: ObjectStore
}

/**
 * A key store over an object store: the key named `n` is the object under `n`, stored and
 * answered as copies (so callers can wipe their buffers). The backend's lifecycle belongs to the
 * caller: `open`/`close` do nothing.
 */
export class ObjectKeyStore implements KeyStore {
  readonly #backend: ObjectStore

  constructor(options: ObjectKeyStoreOptions) {
    this.#backend = options.backend
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async get(name: string, options: IOOptions = {}): Promise<Uint8Array> {
    assertKeyName(name)
    const { size, body } = await this.#backend.get(name, options)
    const key = new Uint8Array(size)
    let offset = 0
    for await (const chunk of body) {
      key.set(chunk, offset)
      offset += chunk.byteLength
    }
    return key
  }

  async put(name: string, key: Uint8Array, options: IOOptions = {}): Promise<void> {
    assertKeyName(name)
    assertKeyBytes(key)
    // A copy, even of a Buffer (whose slice() is a view).
    await this.#backend.put(name, key.byteLength, new Uint8Array(key), options)
  }

  async has(name: string, options: IOOptions = {}): Promise<boolean> {
    assertKeyName(name)
    return this.#backend.has(name, options)
  }

  async delete(name: string, options: IOOptions = {}): Promise<void> {
    assertKeyName(name)
    await this.#backend.delete(name, options)
  }

  list(options: IOOptions = {}): AsyncIterable<string> {
    return this.#backend.list('', options)
  }
}
