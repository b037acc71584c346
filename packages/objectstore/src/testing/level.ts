import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatastoreObjectStore } from '../datastore/index.js'

/** An object store over a LevelDB datastore in a fresh temp directory; `destroy()` closes and removes it. */
export interface TempLevelObjectStore {
  store: DatastoreObjectStore
  destroy(): Promise<void>
}

/**
 * Opens a `LevelDatastore` (from `datastore-level`, which the calling package must have) in a new
 * temp directory and wraps it in a {@link DatastoreObjectStore}: the LevelDB backend of tests.
 */
export async function tempLevelObjectStore(label = 'level'): Promise<TempLevelObjectStore> {
  const { LevelDatastore } = await import('datastore-level')
  const dir = await mkdtemp(join(tmpdir(), `strata-${label}-`))
  const datastore = new LevelDatastore(dir)
  await datastore.open()
  return {
    store: new DatastoreObjectStore({ datastore }),
    destroy: async () => {
      await datastore.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
