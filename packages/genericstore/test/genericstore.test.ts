import { GenericStore, jsonCodec } from '@strata/genericstore'
import { genericStoreSuite } from '@strata/genericstore/testing'
import { DatastoreObjectStore } from '@strata/objectstore/datastore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { type TempLevelObjectStore, tempLevelObjectStore } from '@strata/testkit'
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'

genericStoreSuite('memory', { createBackend: async () => new MemoryObjectStore() })

genericStoreSuite('datastore (MemoryDatastore)', {
  createBackend: async () => new DatastoreObjectStore({ datastore: new MemoryDatastore() }),
})

let level: TempLevelObjectStore
genericStoreSuite('datastore (LevelDatastore)', {
  createBackend: async () => {
    level = await tempLevelObjectStore('genericstore')
    return level.store
  },
  destroy: () => level.destroy(),
})

describe('GenericStore options', () => {
  it('refuses an empty namespace or one containing "/" with InvalidNamespaceError', () => {
    const backend = new MemoryObjectStore()
    for (const namespace of ['', 'a/b', '/']) {
      expect(() => new GenericStore({ backend, codec: jsonCodec(), namespace })).toThrowError(
        expect.objectContaining({ name: 'InvalidNamespaceError', namespace }),
      )
    }
  })

  it('stores keys as <namespace>/<key> on the backend', async () => {
    const backend = new MemoryObjectStore()
    await new GenericStore({ backend, codec: jsonCodec(), namespace: 'allocations' }).put('k', 1)
    const keys: string[] = []
    for await (const key of backend.list()) keys.push(key)
    expect(keys).toEqual(['allocations/k'])
  })
})
