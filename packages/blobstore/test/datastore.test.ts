import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Blobstore, PlainKeyEncoder } from '@strata/blobstore'
import { blobStoreSuite } from '@strata/blobstore/testing'
import { DatastoreObjectStore } from '@strata/objectstore/datastore'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'

blobStoreSuite('datastore (MemoryDatastore, Plain keys)', {
  create: async () =>
    new Blobstore({
      backend: new DatastoreObjectStore({ datastore: new MemoryDatastore() }),
      keyEncoder: new PlainKeyEncoder(),
    }),
  supports: { boundedMemory: false },
})

let dir = ''
let level: LevelDatastore | undefined
blobStoreSuite('datastore (LevelDatastore, Plain keys)', {
  create: async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-blobs-level-'))
    level = new LevelDatastore(dir)
    await level.open()
    return new Blobstore({
      backend: new DatastoreObjectStore({ datastore: level }),
      keyEncoder: new PlainKeyEncoder(),
    })
  },
  destroy: async () => {
    await level?.close()
    await rm(dir, { recursive: true, force: true })
  },
  supports: { boundedMemory: false },
})
