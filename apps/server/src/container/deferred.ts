import type { Body, GetOptions, IOOptions, ObjectResult, ObjectStore, PutOptions } from '@strata/objectstore'

/** What a {@link DeferredObjectStore} factory answers: the opened store and how to release it. */
export interface OpenedObjectStore {
  store: ObjectStore
  close(): Promise<void>
}

/**
 * An object store created at `open()` and dropped at `close()`. It exists because
 * `LevelDatastore` (abstract-level) opens its database by itself on the tick after construction,
 * taking LevelDB's lock: constructing it in `createContainer` would do I/O before `start()`, and
 * keep the lock after a failed start. Before `open()` (and after `close()`) every call throws.
 */
export class DeferredObjectStore implements ObjectStore {
  readonly #name: string
  readonly #create: () => Promise<OpenedObjectStore>
  #opened: OpenedObjectStore | undefined

  /**
   * @param name shown in the "not open" error.
   * @param create builds and opens the real store; called by each `open()` after a `close()`.
   */
  constructor(name: string, create: () => Promise<OpenedObjectStore>) {
    this.#name = name
    this.#create = create
  }

  /** Creates and opens the real store. Idempotent. */
  async open(): Promise<void> {
    this.#opened ??= await this.#create()
  }

  /** Closes and drops the real store. Idempotent. */
  async close(): Promise<void> {
    const opened = this.#opened
    this.#opened = undefined
    await opened?.close()
  }

  put(key: string, size: number, body: Body, options?: PutOptions): Promise<void> {
    return this.#store().put(key, size, body, options)
  }

  get(key: string, options?: GetOptions): Promise<ObjectResult> {
    return this.#store().get(key, options)
  }

  has(key: string, options?: IOOptions): Promise<boolean> {
    return this.#store().has(key, options)
  }

  delete(key: string, options?: IOOptions): Promise<void> {
    return this.#store().delete(key, options)
  }

  async *list(prefix?: string, options?: IOOptions): AsyncIterable<string> {
    yield* this.#store().list(prefix, options)
  }

  #store(): ObjectStore {
    if (!this.#opened) throw new Error(`${this.#name} is not open: start the container first`)
    return this.#opened.store
  }
}
