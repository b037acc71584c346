import { Blobstore, PlainKeyEncoder } from '@strata/blobstore'
import { blobStoreSuite } from '@strata/blobstore/testing'
import { DatastoreObjectStore } from '@strata/objectstore/datastore'
import { type TempLevelObjectStore, tempLevelObjectStore } from '@strata/objectstore/testing'
import { MemoryDatastore } from 'datastore-core'

blobStoreSuite('datastore (MemoryDatastore, Plain keys)', {
  create: async () =>
    new Blobstore({
      backend: new DatastoreObjectStore({ datastore: new MemoryDatastore() }),
      keyEncoder: new PlainKeyEncoder(),
    }),
  supports: { boundedMemory: false },
})

let level: TempLevelObjectStore
blobStoreSuite('datastore (LevelDatastore, Plain keys)', {
  create: async () => {
    level = await tempLevelObjectStore('blobstore')
    return new Blobstore({ backend: level.store, keyEncoder: new PlainKeyEncoder() })
  },
  destroy: () => level.destroy(),
  supports: { boundedMemory: false },
})
