/**
 * A FIFO byte budget: what bounds the bytes that concurrent streams buffer together (the upload
 * bodies of one `MinioObjectStore`, the response chunks a server holds for slow readers).
 * @packageDocumentation
 */

/** Bytes taken from a {@link BufferBudget}; give them back with `release()`. */
export interface Lease {
  /** The bytes this lease holds (the request, clamped to the budget's capacity). */
  readonly bytes: number
  /** Gives the bytes back and lets the next waiters in. Idempotent. */
  release(): void
}

/** A lease that comes with its buffer; the buffer must not be used after `release()`. */
export interface BufferLease extends Lease {
  /** The requested length (uninitialised bytes): a view of a pooled buffer or a fresh one. */
  readonly buffer: Buffer
}

/** Options for {@link BufferBudget}. */
export interface BufferBudgetOptions {
  /**
   * Size of the pooled buffers that {@link BufferBudget.acquireBuffer} reuses (the part size);
   * default 0: no pool, every buffer fresh.
   */
  bufferSize?: number
}

interface Waiter {
  bytes: number
  pooled: boolean
  grant: (lease: Granted) => void
}

interface Granted extends Lease {
  /** A pooled buffer handed over with the lease (pooled requests only). */
  reused: Buffer | undefined
}

/**
 * A FIFO byte semaphore. `acquire(n)` resolves once `n` bytes are free and every earlier waiter
 * has been served (strict FIFO: a small request never overtakes a large one, so a large one is
 * never starved); `release()` gives them back. A request larger than the capacity is clamped to
 * it (it waits until the budget is wholly free), so no request waits forever.
 *
 * Buffers of `bufferSize` given back through {@link acquireBuffer} stay pooled for reuse (so
 * part after part makes no garbage); idle pooled buffers count against the capacity too
 * (`inUse + pooled <= capacity` always) and are dropped as soon as a lease needs their room.
 *
 * Deadlock freedom is the caller's part: wait for more budget only while everything already held
 * will be released without more budget — `putMultipart` waits for its next part buffer while
 * holding at most its part in flight, which uploads and frees its lease by itself.
 */
export class BufferBudget {
  /** The most bytes held at once. */
  readonly capacity: number
  #inUse = 0
  #highWaterMark = 0
  readonly #queue: Waiter[] = []
  readonly #bufferSize: number
  readonly #pool: Buffer[] = []

  /** @throws {RangeError} `capacity` is not a positive safe integer, or `bufferSize` not a non-negative one. */
  constructor(capacity: number, options: BufferBudgetOptions = {}) {
    const bufferSize = options.bufferSize ?? 0
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError('a buffer budget must be a positive integer of bytes')
    }
    if (!Number.isSafeInteger(bufferSize) || bufferSize < 0) {
      throw new RangeError('bufferSize must be a non-negative integer of bytes')
    }
    this.capacity = capacity
    this.#bufferSize = bufferSize
  }

  /** Bytes held by leases now. */
  get inUse(): number {
    return this.#inUse
  }

  /** Bytes of idle pooled buffers. */
  get pooled(): number {
    return this.#pool.length * this.#bufferSize
  }

  /** The most bytes ever held by leases at once (never above `capacity`). */
  get highWaterMark(): number {
    return this.#highWaterMark
  }

  /** Requests waiting for bytes. */
  get waiting(): number {
    return this.#queue.length
  }

  /**
   * Takes `bytes` (clamped to `capacity`) once they are free and no earlier request waits.
   * @throws {RangeError} `bytes` is not a non-negative safe integer.
   * @throws the signal's reason when it aborts first (nothing is then held).
   */
  acquire(bytes: number, signal?: AbortSignal): Promise<Lease> {
    return this.#acquire(bytes, false, signal)
  }

  /**
   * {@link acquire} with a buffer of `length` bytes. A length over half of `bufferSize` and up to
   * it takes (and counts) one whole pooled buffer, pooled again once released; any other length
   * counts its own bytes and gets a fresh buffer.
   * @throws as {@link acquire}.
   */
  async acquireBuffer(length: number, signal?: AbortSignal): Promise<BufferLease> {
    const size = this.#bufferSize
    if (!(length > size / 2 && length <= size)) {
      const lease = await this.#acquire(length, false, signal)
      return { bytes: lease.bytes, release: lease.release, buffer: Buffer.allocUnsafe(length) }
    }
    const lease = await this.#acquire(size, true, signal)
    const whole = lease.reused ?? Buffer.allocUnsafe(size)
    let released = false
    return {
      bytes: lease.bytes,
      buffer: whole.subarray(0, length),
      release: () => {
        if (released) return
        released = true
        // Pooled before its bytes are freed: inUse + pooled stays the same.
        this.#pool.push(whole)
        lease.release()
      },
    }
  }

  #acquire(bytes: number, pooled: boolean, signal: AbortSignal | undefined): Promise<Granted> {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      return Promise.reject(new RangeError(`cannot acquire ${bytes} bytes`))
    }
    if (signal?.aborted) return Promise.reject(signal.reason)
    const wanted = Math.min(bytes, this.capacity)
    if (this.#queue.length === 0 && this.#fits(wanted)) return Promise.resolve(this.#take(wanted, pooled))
    return new Promise<Granted>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter)
        if (index < 0) return
        this.#queue.splice(index, 1)
        reject(signal?.reason)
        // The head may have been the one blocking the others.
        this.#serve()
      }
      const waiter: Waiter = {
        bytes: wanted,
        pooled,
        grant: (lease) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(lease)
        },
      }
      this.#queue.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Pooled buffers do not block a lease: they are dropped to make room. */
  #fits(bytes: number): boolean {
    return this.#inUse + bytes <= this.capacity
  }

  #take(bytes: number, pooled: boolean): Granted {
    this.#inUse += bytes
    this.#highWaterMark = Math.max(this.#highWaterMark, this.#inUse)
    const reused = pooled ? this.#pool.pop() : undefined
    while (this.#pool.length > 0 && this.#inUse + this.pooled > this.capacity) this.#pool.pop()
    let released = false
    return {
      bytes,
      reused,
      release: () => {
        if (released) return
        released = true
        this.#inUse -= bytes
        this.#serve()
      },
    }
  }

  /** Grants the queue's head requests, in order, while they fit. */
  #serve(): void {
    for (let head = this.#queue[0]; head && this.#fits(head.bytes); head = this.#queue[0]) {
      this.#queue.shift()
      head.grant(this.#take(head.bytes, head.pooled))
    }
  }
}
