import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GenericStore, jsonCodec } from '@strata/genericstore'
import { genericStoreSuite } from '@strata/genericstore/testing'
import { DatastoreObjectStore } from '@strata/objectstore/datastore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { describe, expect, it } from 'vitest'

genericStoreSuite('memory', { createBackend: async () => new MemoryObjectStore() })

genericStoreSuite('datastore (MemoryDatastore)', {
  createBackend: async () => new DatastoreObjectStore({ datastore: new MemoryDatastore() }),
})

let dir = ''
let level: LevelDatastore | undefined
genericStoreSuite('datastore (LevelDatastore)', {
  createBackend: async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-generic-'))
    level = new LevelDatastore(dir)
    await level.open()
    return new DatastoreObjectStore({ datastore: level })
  },
  destroy: async () => {
    await level?.close()
    await rm(dir, { recursive: true, force: true })
  },
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
