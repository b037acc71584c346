import type { ObjectStore } from '@strata/objectstore'

/** Options shared by every store in this package. */
export interface BackendOptions {
  /** Where the records live; opened and closed by the caller. */
  backend: ObjectStore
  /**
   * Keeps this store's keys apart from other stores sharing the backend (keys stored as
   * `<namespace>/<key>`; non-empty, no `/`). Default: none, as in Piri, where each store has its
   * own LevelDB directory or S3 bucket.
   */
  namespace?: string
}

/** Options of the DAG-CBOR record stores (allocation, acceptance, consolidation). */
export interface RecordStoreOptions extends BackendOptions {
  /**
   * Appended to every record key. Default `''`, Piri's datastore (LevelDB) layout; the server sets
   * `'.cbor'` on S3 buckets, Piri's S3 layout. Listing by prefix is unaffected.
   */
  keySuffix?: string
}

/** `namespace` as `GenericStore` takes it: absent rather than `undefined`. */
export function namespaceOption(namespace: string | undefined): { namespace?: string } {
  return namespace === undefined ? {} : { namespace }
}
