import { DatastoreObjectStore } from '@strata/objectstore/datastore'
import type { Datastore } from 'interface-datastore'
import { ObjectKeyStore } from './object.js'

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
 * The datastore's lifecycle belongs to the caller; see `LevelKeyStore` for the on-disk store that
 * owns its LevelDB.
 */
export class DatastoreKeyStore extends ObjectKeyStore {
  constructor(options: DatastoreKeyStoreOptions) {
    super({ backend: new DatastoreObjectStore({ datastore: options.datastore }) })
  }
}
