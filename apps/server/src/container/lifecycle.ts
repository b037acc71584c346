import { ShutdownError, StartupError } from '../errors.js'

/** Something the container opens at start and closes at shutdown. */
export interface Resource {
  /** Shown in logs and errors, e.g. `allocations (leveldb)`. */
  name: string
  /** Acquires what the resource needs. */
  open(): Promise<void>
  /** Releases it. Called only after a successful `open`. */
  close(): Promise<void>
}

/** Logs what the lifecycle does (a pino logger fits). */
export interface LifecycleLogger {
  debug(object: object, message: string): void
  error(object: object, message: string): void
}

/**
 * Opens resources in order and closes them in reverse. `start` and `stop` are serialised and
 * idempotent; a stopped lifecycle can be started again.
 */
export class Lifecycle {
  readonly #resources: readonly Resource[]
  readonly #log: LifecycleLogger | undefined
  #opened: Resource[] = []
  #state: 'stopped' | 'started' = 'stopped'
  #queue: Promise<unknown> = Promise.resolve()

  /** @param resources in opening order; @param log hears of each open, close and close failure. */
  constructor(resources: readonly Resource[], log?: LifecycleLogger) {
    this.#resources = resources
    this.#log = log
  }

  /** Whether `start` completed and `stop` has not begun. */
  get started(): boolean {
    return this.#state === 'started'
  }

  /**
   * Opens every resource in order. On a failure, closes those already opened (reverse order).
   * @throws {StartupError} naming the resource that failed.
   */
  start(): Promise<void> {
    return this.#serialize(async () => {
      if (this.#state === 'started') return
      for (const resource of this.#resources) {
        try {
          await resource.open()
        } catch (error) {
          const closeErrors = await this.#closeAll()
          throw new StartupError(resource.name, error, closeErrors)
        }
        this.#opened.push(resource)
        this.#log?.debug({ resource: resource.name }, 'opened')
      }
      this.#state = 'started'
    })
  }

  /**
   * Closes every opened resource in reverse order, continuing past failures.
   * @throws {ShutdownError} aggregating every close that failed.
   */
  stop(): Promise<void> {
    return this.#serialize(async () => {
      this.#state = 'stopped'
      const errors = await this.#closeAll()
      if (errors.length > 0) {
        throw new ShutdownError(
          errors,
          `${errors.length} resource(s) failed to close: ${errors.map((e) => e.message).join('; ')}`,
        )
      }
    })
  }

  async #closeAll(): Promise<Error[]> {
    const errors: Error[] = []
    while (this.#opened.length > 0) {
      const resource = this.#opened.pop() as Resource
      try {
        await resource.close()
        this.#log?.debug({ resource: resource.name }, 'closed')
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause)
        const error = new Error(`cannot close ${resource.name}: ${reason}`, { cause })
        this.#log?.error({ resource: resource.name, err: cause }, 'close failed')
        errors.push(error)
      }
    }
    return errors
  }

  #serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task)
    this.#queue = run.catch(() => {})
    return run
  }
}
