import { PlainKeyEncoder, STAGING_PREFIX, VerifiedBlobStore } from '@strata/blobstore'
import { blobStoreSuite } from '@strata/blobstore/testing'
import { DatastoreObjectStore } from '@strata/objectstore/datastore'
import { listKeys } from '@strata/objectstore/testing'
import { type TempLevelObjectStore, tempLevelObjectStore } from '@strata/testkit'
import { MemoryDatastore } from 'datastore-core'

blobStoreSuite('datastore (MemoryDatastore, Plain keys)', {
  create: async () =>
    new VerifiedBlobStore({
      backend: new DatastoreObjectStore({ datastore: new MemoryDatastore() }),
      keyEncoder: new PlainKeyEncoder(),
    }),
  supports: { boundedMemory: false },
})

let level: TempLevelObjectStore
blobStoreSuite('datastore (LevelDatastore, Plain keys)', {
  create: async () => {
    level = await tempLevelObjectStore('blobstore')
    return new VerifiedBlobStore({ backend: level.store, keyEncoder: new PlainKeyEncoder() })
  },
  staging: () => listKeys(level.store, STAGING_PREFIX),
  destroy: () => level.destroy(),
  supports: { boundedMemory: false },
})
