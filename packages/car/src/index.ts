/**
 * CAR-aware storage over a strata blob store:
 *
 * ```ts
 * import { CarStore } from '@strata/car'
 * import { LevelBlockIndex } from '@strata/car/level'   // or /memory, /s3
 * const cars = new CarStore({ blobs, index, records })  // a BlobStore, an opened BlockIndex, an ObjectStore
 * const { digest, roots, blocks, index: indexCid } = await cars.importCar(stream)
 * const bytes = await cars.getBlock(cid)                 // verified
 * for await (const chunk of cars.exportCar(root)) …      // a CARv1
 * const report = await inspectCar(stream)                // no storage needed
 * ```
 * @packageDocumentation
 */
export { CarStore, type CarStoreOptions } from './car-store.js'
export type {
  BlockIndex,
  BlockIndexEntry,
  BlockIndexKey,
  BlockLocation,
  CarRecord,
  CID,
  Entries,
  ExportScope,
  ImportResult,
  IOOptions,
  MultihashDigest,
} from './contract.js'
export type { DeletedCar } from './delete.js'
export * from './errors.js'
export type { ExportOptions } from './export.js'
export type { ImportOptions } from './import.js'
export {
  CAR_CODE,
  encodeIndexArchive,
  type IndexArchive,
  SHARDED_DAG_INDEX,
} from './index-archive/archive.js'
export { BlockTable } from './index-archive/block-table.js'
export { slicesOf } from './index-archive/slices.js'
export { type CarInspection, type InspectOptions, inspectCar } from './inspect.js'
export { codecName, linksOf } from './links.js'
export {
  type CarBlock,
  CarReader,
  type CarReaderOptions,
  type CarSummary,
  DEFAULT_MAX_BLOCK_SIZE,
  DEFAULT_MAX_HEADER_SIZE,
} from './read/reader.js'
export { CarRecords, type CarRecordsOptions } from './records.js'
