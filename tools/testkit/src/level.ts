import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelObjectStore } from '@strata/objectstore/level'

/** An opened LevelDB object store in a fresh temp directory; `destroy()` closes and removes it. */
export interface TempLevelObjectStore {
  store: LevelObjectStore
  destroy(): Promise<void>
}

/** Opens a {@link LevelObjectStore} in a new temp directory: the LevelDB backend of tests. */
export async function tempLevelObjectStore(label = 'level'): Promise<TempLevelObjectStore> {
  const dir = await mkdtemp(join(tmpdir(), `strata-${label}-`))
  const store = new LevelObjectStore({ path: join(dir, 'db') })
  await store.open()
  return {
    store,
    destroy: async () => {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
