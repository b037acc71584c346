import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { LevelBlockIndex } from '@strata/car/level'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { LevelObjectStore } from '@strata/objectstore/level'
import { interfaceBlockstoreTests } from 'interface-blockstore-tests'
import { describe } from 'vitest'
import { StrataBlockstore } from '../src/index.js'

/** A blockstore on disk as the server lays it out: flatfs blobs, LevelDB block index and records. */
interface OnDisk {
  store: StrataBlockstore
  close(): Promise<void>
}

const opened = new WeakMap<StrataBlockstore, OnDisk>()

async function onDisk(): Promise<StrataBlockstore> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-blockstore-'))
  const backend = new FlatfsObjectStore({ path: join(dir, 'blobs') })
  const index = new LevelBlockIndex({ path: join(dir, 'blocks') })
  const records = new LevelObjectStore({ path: join(dir, 'cars') })
  await Promise.all([backend.open(), index.open(), records.open()])
  const blobs = new VerifiedBlobStore({ backend })
  const store = new StrataBlockstore({ blobs, cars: new CarStore({ blobs, index, records }) })
  opened.set(store, {
    store,
    close: async () => {
      await Promise.all([backend.close(), index.close(), records.close()])
      await rm(dir, { recursive: true, force: true })
    },
  })
  return store
}

describe('interface-blockstore-tests: StrataBlockstore on flatfs (+ LevelDB block index)', () => {
  interfaceBlockstoreTests({
    setup: onDisk,
    teardown: async (store) => {
      await opened.get(store as StrataBlockstore)?.close()
    },
  })
})
