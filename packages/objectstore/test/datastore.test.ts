import { DatastoreObjectStore } from '@strata/objectstore/datastore'
import { objectStoreSuite, utf8 } from '@strata/objectstore/testing'
import { type TempLevelObjectStore, tempLevelObjectStore } from '@strata/testkit'
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'

objectStoreSuite('datastore (MemoryDatastore)', {
  create: async () => new DatastoreObjectStore({ datastore: new MemoryDatastore() }),
  supports: { slashKeys: true, boundedMemory: false },
})

let level: TempLevelObjectStore
objectStoreSuite('datastore (LevelDatastore)', {
  create: async () => {
    level = await tempLevelObjectStore('objectstore')
    return level.store
  },
  destroy: () => level.destroy(),
  supports: { slashKeys: true, boundedMemory: false },
})

describe('DatastoreObjectStore specifics', () => {
  const store = new DatastoreObjectStore({ datastore: new MemoryDatastore(), maxObjectSize: 8 })

  it('refuses keys the datastore would rewrite, so keys never collide', async () => {
    for (const key of ['a/', 'a/b/', '']) {
      await expect(store.put(key, 1, utf8('x'))).rejects.toMatchObject({ name: 'InvalidKeyError', key })
    }
    await store.put('a//b', 1, utf8('x'))
    expect(await store.has('a/b')).toBe(false)
  })

  it('refuses a declared size over maxObjectSize before reading the body', async () => {
    const never: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        throw new Error('body must not be read')
      },
    }
    await expect(store.put('big', 9, never)).rejects.toMatchObject({ name: 'TooLargeError', expected: 8 })
  })
})

describe('DatastoreObjectStore on a full disk', () => {
  /** A datastore failing its writes as datastore-level does on ENOSPC: the code lost, the text kept. */
  class FullDatastore extends MemoryDatastore {
    override async put(): Promise<never> {
      const io = new Error('IO error: /data/allocation/000003.log: No space left on device')
      throw Object.assign(new Error('put failed', { cause: io }), { name: 'PutFailedError' })
    }
    override async delete(): Promise<never> {
      throw Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' })
    }
  }

  it('answers InsufficientStorageError for a put or a delete that fails for lack of space', async () => {
    const store = new DatastoreObjectStore({ datastore: new FullDatastore() })
    await expect(store.put('a', 3, utf8('abc'))).rejects.toMatchObject({
      name: 'InsufficientStorageError',
      backend: 'datastore',
    })
    await expect(store.delete('a')).rejects.toMatchObject({ name: 'InsufficientStorageError' })
    expect(await store.has('a')).toBe(false)
  })

  it('passes other write errors through unchanged', async () => {
    class Broken extends MemoryDatastore {
      override async put(): Promise<never> {
        throw new Error('IO error: corruption')
      }
    }
    const store = new DatastoreObjectStore({ datastore: new Broken() })
    await expect(store.put('a', 3, utf8('abc'))).rejects.toThrow('IO error: corruption')
  })
})
