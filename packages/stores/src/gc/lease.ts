import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { type IOOptions, type ObjectStore, PreconditionFailedError } from '@strata/objectstore'
import { GcLeaseHeldError, GcLeaseLostError } from '../errors.js'

/** Options for {@link Lease}. */
export interface LeaseOptions {
  /** Where the lease object lives (the collector's state store, shared by every instance). */
  backend: ObjectStore
  /** The lease object's key. Default `lease`. */
  key?: string
  /** How long a lease lasts unless renewed, in ms (renewed every third of it). Default 60 s. */
  durationMs?: number
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number
}

/** A lease held by this process: renewed in the background until released or lost. */
export interface HeldLease {
  /** This holder's id (random per acquisition). */
  readonly holder: string
  /** Aborted (with a `GcLeaseLostError`) when the lease is lost. */
  readonly signal: AbortSignal
  /**
   * Throws unless the lease is safely held: renewed less than three quarters of its duration ago
   * (the last quarter is the margin for a slow request and for clock skew between instances).
   * @throws {GcLeaseLostError}
   */
  assertHeld(): void
  /**
   * Stops renewing and gives the lease up (another holder may take it at once); `signal` aborts.
   * Idempotent.
   */
  release(): Promise<void>
}

interface LeaseRecord {
  holder: string
  expiresAt: number
}

const encoder = new TextEncoder()

/**
 * A lease object taken with a conditional write: one holder at a time across every instance that
 * shares the backend. `acquire` creates the object (`ifNoneMatch: '*'`) or takes over an expired
 * one (`ifMatch` its etag); the holder renews it (`ifMatch` its own etag) every third of the
 * duration. A crashed holder's lease expires after `durationMs`. Clocks of the instances must agree
 * within a quarter of the duration (the holder stops working a quarter before its lease expires).
 */
export class Lease {
  readonly #backend: ObjectStore
  readonly #key: string
  readonly #durationMs: number
  readonly #now: () => number

  constructor(options: LeaseOptions) {
    this.#backend = options.backend
    this.#key = options.key ?? 'lease'
    this.#durationMs = options.durationMs ?? 60_000
    this.#now = options.now ?? Date.now
  }

  /**
   * Takes the lease.
   * @throws {GcLeaseHeldError} another holder's lease has not expired.
   */
  async acquire(options: IOOptions = {}): Promise<HeldLease> {
    const holder = randomBytes(8).toString('hex')
    const current = await this.#read(options)
    if (current !== undefined && current.record.expiresAt > this.#now()) {
      throw new GcLeaseHeldError(current.record.holder, new Date(current.record.expiresAt))
    }
    const started = this.#now()
    let etag: string
    try {
      etag = await this.#write(
        { holder, expiresAt: started + this.#durationMs },
        current?.etag ?? null,
        options,
      )
    } catch (error) {
      if ((error as { name?: unknown }).name !== 'PreconditionFailedError') throw error
      const winner = await this.#read(options)
      throw new GcLeaseHeldError(
        winner?.record.holder ?? 'unknown',
        new Date(winner?.record.expiresAt ?? 0),
        {
          cause: error,
        },
      )
    }
    return this.#held(holder, etag, started)
  }

  #held(holder: string, firstEtag: string, started: number): HeldLease {
    const controller = new AbortController()
    // one signal shared by every request of a run: many listeners at once is its normal use
    setMaxListeners(0, controller.signal)
    let etag = firstEtag
    let renewedAt = started
    let released = false
    const lose = (cause?: unknown) => {
      if (!controller.signal.aborted) controller.abort(new GcLeaseLostError(holder, { cause }))
    }
    const renew = async () => {
      if (released || controller.signal.aborted) return
      const at = this.#now()
      try {
        etag = await this.#write({ holder, expiresAt: at + this.#durationMs }, etag, {})
        renewedAt = at
      } catch (error) {
        // taken over (PreconditionFailed): lost for good; anything else: retried at the next tick
        if ((error as { name?: unknown }).name === 'PreconditionFailedError') lose(error)
      }
      if (this.#now() - renewedAt >= (this.#durationMs * 3) / 4) lose()
    }
    const timer = setInterval(() => void renew(), Math.max(1, Math.floor(this.#durationMs / 3)))
    timer.unref()
    return {
      holder,
      signal: controller.signal,
      assertHeld: () => {
        if (controller.signal.aborted) throw controller.signal.reason
        if (this.#now() - renewedAt >= (this.#durationMs * 3) / 4) {
          lose()
          throw controller.signal.reason
        }
      },
      release: async () => {
        if (released) return
        released = true
        clearInterval(timer)
        lose()
        // given up even when it lapsed here: the write only lands if no one took the lease over
        try {
          await this.#write({ holder, expiresAt: 0 }, etag, {})
        } catch {
          // lost meanwhile, or unreachable: the lease expires on its own
        }
      },
    }
  }

  async #read(
    options: IOOptions,
  ): Promise<{ record: LeaseRecord & { nonce: string }; etag: string } | undefined> {
    let result: Awaited<ReturnType<ObjectStore['get']>>
    try {
      result = await this.#backend.get(this.#key, options)
    } catch (error) {
      if ((error as { name?: unknown }).name === 'NotFoundError') return undefined
      throw error
    }
    let text = ''
    const decoder = new TextDecoder()
    for await (const chunk of result.body) text += decoder.decode(chunk, { stream: true })
    let parsed: Partial<LeaseRecord & { nonce: string }> = {}
    try {
      parsed = JSON.parse(text) as typeof parsed
    } catch {
      // unreadable: an expired lease anyone may take over
    }
    const record = {
      holder: typeof parsed.holder === 'string' ? parsed.holder : 'unknown',
      expiresAt: typeof parsed.expiresAt === 'number' ? parsed.expiresAt : 0,
      nonce: typeof parsed.nonce === 'string' ? parsed.nonce : '',
    }
    return { record, etag: result.etag }
  }

  /**
   * Writes the lease over `etag` (`null`: only where none exists) and answers the new etag, read
   * back with the record so that it is known to be this write's (the contract's put answers none).
   * @throws {PreconditionFailedError} the condition failed, or another write came first.
   */
  async #write(record: LeaseRecord, etag: string | null, options: IOOptions): Promise<string> {
    const nonce = randomBytes(8).toString('hex')
    const bytes = encoder.encode(JSON.stringify({ ...record, nonce }))
    const condition = etag === null ? { ifNoneMatch: '*' as const } : { ifMatch: etag }
    await this.#backend.put(this.#key, bytes.byteLength, bytes, { ...options, ...condition })
    const written = await this.#read(options)
    if (written?.record.nonce !== nonce) throw new PreconditionFailedError(this.#key, 'if-match')
    return written.etag
  }
}
