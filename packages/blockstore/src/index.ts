/**
 * A Helia / interface-blockstore 7 `Blockstore` over strata's storage, on any backend:
 *
 * ```ts
 * import { StrataBlockstore } from '@strata/blockstore'
 * import { createHeliaLight } from 'helia'
 * const blockstore = new StrataBlockstore({ blobs, cars })   // a BlobStore, optionally a CarStore
 * const helia = createHeliaLight({ blockstore, datastore })
 * await blockstore.put(cid, bytes)                            // verified against the CID's multihash
 * for await (const chunk of blockstore.get(cid)) …            // verified again while it streams
 * ```
 *
 * A Kubo repository's `blocks/` directory, read only: `openKuboBlockstore` from
 * `@strata/blockstore/kubo`.
 * @packageDocumentation
 */
export type { DagScope, ExportCarOptions } from './car-export.js'
export { type BlockInput, verifiableOnRead } from './chunks.js'
export * from './errors.js'
export {
  type AbortOptions,
  type BlockRead,
  StrataBlockstore,
  type StrataBlockstoreOptions,
} from './strata-blockstore.js'
