import { DatastoreObjectStore } from '@strata/objectstore/datastore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { AllocationStore } from '@strata/stores/allocation'
import { ReceiptStore } from '@strata/stores/receipt'
import { type TempLevelObjectStore, tempLevelObjectStore } from '@strata/testkit'
import { MemoryDatastore } from 'datastore-core'
import { base58btc } from 'multiformats/bases/base58'
import { describe, expect, it } from 'vitest'
import { principals, randomCid, randomDigest, receipt } from './fixtures.js'
import { storesSuite } from './suite/index.js'

storesSuite('memory', { create: async () => new MemoryObjectStore() })

let level: TempLevelObjectStore
storesSuite('LevelDB (DatastoreObjectStore over LevelDatastore)', {
  create: async () => {
    level = await tempLevelObjectStore('stores')
    return level.store
  },
  destroy: () => level.destroy(),
})

describe("Piri's datastore (LevelDB) layout", () => {
  it('stores allocations at /{digest}/{did} and receipts at /receipts/{cid} + /ranLinkIndex/{ran}', async () => {
    const datastore = new MemoryDatastore()
    const backend = new DatastoreObjectStore({ datastore })
    const digest = await randomDigest()
    const { space } = await principals()
    await new AllocationStore({ backend }).put({
      space: space.did(),
      blob: { digest, size: 1 },
      expires: 1,
      cause: await randomCid(),
    })
    const issued = await receipt()
    await new ReceiptStore({ backend }).put(issued)
    const keys: string[] = []
    for await (const key of datastore.queryKeys({})) keys.push(key.toString())
    expect(keys.sort()).toEqual(
      [
        `/${base58btc.encode(digest.bytes)}/${space.did()}`,
        `/ranLinkIndex/${issued.ran.link()}`,
        `/receipts/${issued.link()}`,
      ].sort(),
    )
  })
})
