/**
 * Per-key serialisation inside one process: what makes a conditional put (check, then write)
 * atomic on the backends whose storage has no compare-and-swap of its own (memory, LevelDB, flatfs
 * with its directory lock).
 * @packageDocumentation
 */

/** Runs tasks one at a time per key; tasks on different keys run concurrently. */
export class KeyLock {
  readonly #tails = new Map<string, Promise<unknown>>()

  /** Runs `task` once every earlier task on `key` has settled; answers what it answers. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key)
    const result = previous === undefined ? task() : previous.then(task, task)
    const tail = result.catch(() => {})
    this.#tails.set(key, tail)
    try {
      return await result
    } finally {
      // The last task on a key removes its entry, so the map holds only keys in use.
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }
}
