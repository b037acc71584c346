import { MemoryObjectStore } from '@strata/objectstore/memory'
import { objectStoreSuite } from '@strata/objectstore/testing'

objectStoreSuite('memory', {
  create: async () => new MemoryObjectStore(),
  supports: { slashKeys: true, boundedMemory: false },
})
