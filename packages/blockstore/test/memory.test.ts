import { PlainKeyEncoder, VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { MemoryBlockIndex } from '@strata/car/memory'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { interfaceBlockstoreTests } from 'interface-blockstore-tests'
import { describe } from 'vitest'
import { StrataBlockstore } from '../src/index.js'

describe('interface-blockstore-tests: StrataBlockstore on memory', () => {
  interfaceBlockstoreTests({
    setup: () => new StrataBlockstore({ blobs: new VerifiedBlobStore({ backend: new MemoryObjectStore() }) }),
    teardown: () => {},
  })
})

describe('interface-blockstore-tests: StrataBlockstore on memory with a CarStore', () => {
  interfaceBlockstoreTests({
    setup: () => {
      const blobs = new VerifiedBlobStore({
        backend: new MemoryObjectStore(),
        keyEncoder: new PlainKeyEncoder(),
      })
      const cars = new CarStore({ blobs, index: new MemoryBlockIndex(), records: new MemoryObjectStore() })
      return new StrataBlockstore({ blobs, cars })
    },
    teardown: () => {},
  })
})
