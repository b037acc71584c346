/**
 * The streaming object-store contract of strata, its errors and its one byte-range type. Backends
 * live behind subpaths, each loading only its own dependencies:
 *
 * ```ts
 * import { FlatfsObjectStore } from '@strata/objectstore/flatfs'   // go-ds-flatfs / Piri layout
 * import { LevelObjectStore } from '@strata/objectstore/level'     // LevelDB, for records
 * import { MemoryObjectStore } from '@strata/objectstore/memory'
 * import { MinioObjectStore } from '@strata/objectstore/minio'     // any S3 (needs `minio`)
 * import { DatastoreObjectStore } from '@strata/objectstore/datastore'
 * ```
 * @packageDocumentation
 */
export type {
  Body,
  GetOptions,
  IOOptions,
  ObjectResult,
  ObjectStat,
  ObjectStore,
  PutOptions,
} from './contract.js'
export * from './errors.js'
export { type ByteRange, isWellFormed, type ResolvedRange, rangeHeaderOf, resolveRange } from './range.js'
