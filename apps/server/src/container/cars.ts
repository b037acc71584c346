/**
 * The CAR store's parts per `storage.backend`: its block index and its records (what `POST /car`
 * imports into and `/ipfs`, `/block`, `/car` read from). CAR blobs and index archives go to the
 * blob store like any blob.
 *
 * - memory: `MemoryBlockIndex` + `MemoryObjectStore` records;
 * - filesystem: `LevelBlockIndex` at `<dataDir>/blocks`, `LevelObjectStore` records at `<dataDir>/cars`;
 * - s3: buckets `{bucketPrefix}blocks` (index entries) and `{bucketPrefix}cars` (records).
 * @packageDocumentation
 */
import { join } from 'node:path'
import type { BlockIndex } from '@strata/car'
import { LevelBlockIndex } from '@strata/car/level'
import { MemoryBlockIndex } from '@strata/car/memory'
import { S3BlockIndex } from '@strata/car/s3'
import type { ObjectStore } from '@strata/objectstore'
import { LevelObjectStore } from '@strata/objectstore/level'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { MinioObjectStore } from '@strata/objectstore/minio'
import type { Config } from '../config/schema.js'
import { s3Client, s3Settings } from './backends.js'
import type { Resource } from './lifecycle.js'

/** Directories under `<dataDir>` of the block index and the CAR records (filesystem backend). */
export const CAR_DIRS = { index: 'blocks', records: 'cars' } as const

/** The CAR store's block index and records, not yet opened, and what to open and close. */
export interface CarParts {
  index: BlockIndex
  records: ObjectStore
  /** Opened after the blob store, in order; closed in reverse. */
  resources: Resource[]
  /** Where each lives, for logs. */
  locations: { index: string; records: string }
}

const resource = (name: string, store: { open(): Promise<void>; close(): Promise<void> }): Resource => ({
  name,
  open: () => store.open(),
  close: () => store.close(),
})

/** Builds (without I/O) the CAR store's parts for `config.storage.backend`. */
export function createCarParts(config: Config): CarParts {
  switch (config.storage.backend) {
    case 'memory': {
      const index = new MemoryBlockIndex()
      const records = new MemoryObjectStore()
      return {
        index,
        records,
        resources: [resource('block index (memory)', index), resource('car records (memory)', records)],
        locations: { index: 'memory', records: 'memory' },
      }
    }
    case 'filesystem': {
      const indexPath = join(config.storage.dataDir, CAR_DIRS.index)
      const recordsPath = join(config.storage.dataDir, CAR_DIRS.records)
      const index = new LevelBlockIndex({ path: indexPath })
      const records = new LevelObjectStore({ path: recordsPath })
      return {
        index,
        records,
        resources: [
          resource(`block index (leveldb ${indexPath})`, index),
          resource(`car records (leveldb ${recordsPath})`, records),
        ],
        locations: { index: indexPath, records: recordsPath },
      }
    }
    case 's3': {
      const s3 = s3Settings(config)
      const client = s3Client(s3)
      const options = { client, requestTimeoutMs: s3.requestTimeoutMs }
      const indexBucket = new MinioObjectStore({ ...options, bucket: `${s3.bucketPrefix}blocks` })
      const records = new MinioObjectStore({ ...options, bucket: `${s3.bucketPrefix}cars` })
      return {
        index: new S3BlockIndex({ backend: indexBucket }),
        records,
        resources: [
          resource(`block index (s3 bucket ${s3.bucketPrefix}blocks)`, indexBucket),
          resource(`car records (s3 bucket ${s3.bucketPrefix}cars)`, records),
        ],
        locations: { index: `s3://${s3.bucketPrefix}blocks`, records: `s3://${s3.bucketPrefix}cars` },
      }
    }
  }
}
