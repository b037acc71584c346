import { VerifiedBlobStore } from '@strata/blobstore'
import type { ObjectStore } from '@strata/objectstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { listKeys, readAll } from '@strata/objectstore/testing'
import { CarStore, type CarStoreOptions } from '../src/index.js'
import { S3BlockIndex } from '../src/s3/index.js'

/** A CarStore whose three stores can all be listed: blobs, index entries (S3 layout) and records. */
export function listableCarStore(options: Partial<CarStoreOptions> = {}) {
  const blobsBackend = new MemoryObjectStore()
  const indexBackend = new MemoryObjectStore()
  const recordsBackend = new MemoryObjectStore()
  const blobs = new VerifiedBlobStore({ backend: blobsBackend })
  const index = new S3BlockIndex({ backend: indexBackend })
  const cars = new CarStore({ blobs, index, records: recordsBackend, ...options })
  return {
    cars,
    blobs,
    index,
    blobsBackend,
    indexBackend,
    recordsBackend,
    /** Every key in the three stores. */
    async keys(): Promise<{ blobs: string[]; index: string[]; records: string[] }> {
      return {
        blobs: await listKeys(blobsBackend),
        index: await listKeys(indexBackend),
        records: await listKeys(recordsBackend),
      }
    },
  }
}

/** The bytes of a stream. */
export async function bytesOf(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await readAll(stream))
}

/** Keys of an object store. */
export const keysOf = (store: ObjectStore) => listKeys(store)
