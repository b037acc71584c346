import type { IOOptions } from '@strata/objectstore'
import { NotFoundError } from '@strata/objectstore'
import { type Datastore, Key } from 'interface-datastore'
import type { KeyStore } from './contract.js'
import { assertKeyBytes, assertKeyName } from './names.js'

/** Options for {@link DatastoreKeyStore}. */
export interface DatastoreKeyStoreOptions {
  /**
   * Any `interface-datastore` Datastore on the local disk, opened and closed by the caller. Do not
   * hand it a datastore backed by a remote service: private keys must not leave the node.
   */
  datastore: Datastore
}

/**
 * A key store over an `interface-datastore` Datastore: the key named `n` is the value under `/n`.
 * The datastore's lifecycle belongs to the caller, so `open`/`close` do nothing; see
 * `LevelKeyStore` for the on-disk store that owns its LevelDB.
 */
export class DatastoreKeyStore implements KeyStore {
  readonly #datastore: Datastore

  constructor(options: DatastoreKeyStoreOptions) {
    this.#datastore = options.datastore
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async get(name: string, options: IOOptions = {}): Promise<Uint8Array> {
    const key = toKey(name)
    try {
      // A plain copy: LevelDB answers a Buffer, other datastores may answer a view of what they keep.
      return new Uint8Array(await this.#datastore.get(key, signalOption(options)))
    } catch (error) {
      if (error instanceof Error && error.name === 'NotFoundError')
        throw new NotFoundError(name, { cause: error })
      throw error
    }
  }

  async put(name: string, key: Uint8Array, options: IOOptions = {}): Promise<void> {
    const dsKey = toKey(name)
    assertKeyBytes(key)
    await this.#datastore.put(dsKey, new Uint8Array(key), signalOption(options))
  }

  async has(name: string, options: IOOptions = {}): Promise<boolean> {
    return this.#datastore.has(toKey(name), signalOption(options))
  }

  async delete(name: string, options: IOOptions = {}): Promise<void> {
    await this.#datastore.delete(toKey(name), signalOption(options))
  }

  async *list(options: IOOptions = {}): AsyncGenerator<string> {
    for await (const key of this.#datastore.queryKeys({}, signalOption(options))) {
      yield key.toString().slice(1)
    }
  }
}

function toKey(name: string): Key {
  assertKeyName(name)
  return new Key(`/${name}`)
}

function signalOption(options: IOOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {}
}
