import { MemoryObjectStore } from '@strata/objectstore/memory'
import { ObjectKeyStore } from './object.js'

/**
 * A key store in memory, for tests and ephemeral nodes: keys vanish with the process. Stores and
 * answers copies, so callers can wipe their buffers. `close` keeps the keys.
 */
export class MemoryKeyStore extends ObjectKeyStore {
  constructor() {
    super({ backend: new MemoryObjectStore() })
  }
}
