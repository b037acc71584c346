/**
 * Read buffers that come back. Every ranged read needs a buffer the size of its range, and a
 * server answering thousands of 64 KiB ranges a second allocates a gigabyte a second of memory
 * outside V8's heap: V8 answers that external pressure with a full mark-compact every few dozen
 * milliseconds, which costs more than the reads. A reader that is done with a buffer (the socket
 * has taken it) gives it back with `recycle`, and the next read of that size class reuses it.
 *
 * Buffers are handed out in power-of-two size classes (a read gets a view of the first `size`
 * bytes). Only buffers this pool handed out and not yet got back are taken back, each once: a
 * second `recycle` of the same buffer, or of anything else, does nothing. A buffer never recycled
 * is collected as any other. At most `maxIdleBytes` wait in the pool.
 */
export class ReadBuffers {
  readonly #classes = new Map<number, Buffer[]>()
  /** The backing memory of every buffer handed out and not yet taken back. */
  readonly #out = new WeakSet<ArrayBufferLike>()
  readonly #maxIdleBytes: number
  #idleBytes = 0

  constructor(maxIdleBytes = 8 * 1024 * 1024) {
    this.#maxIdleBytes = maxIdleBytes
  }

  /** A buffer of exactly `size` bytes (contents undefined); pooled from `MIN_POOLED` bytes up. */
  take(size: number): Buffer {
    if (size < MIN_POOLED) return Buffer.allocUnsafe(size)
    const capacity = classOf(size)
    const idle = this.#classes.get(capacity)?.pop()
    let whole: Buffer
    if (idle === undefined) whole = Buffer.allocUnsafeSlow(capacity)
    else {
      this.#idleBytes -= capacity
      whole = idle
    }
    this.#out.add(whole.buffer)
    return whole.subarray(0, size)
  }

  /**
   * Takes back a buffer `take` gave, once nothing refers to its bytes any more (no view of it may
   * be read or written after this). Anything else, or the same buffer twice, is ignored.
   */
  recycle(chunk: Uint8Array): void {
    const memory = chunk.buffer
    if (!this.#out.delete(memory)) return
    const capacity = memory.byteLength
    if (this.#idleBytes + capacity > this.#maxIdleBytes) return
    let idle = this.#classes.get(capacity)
    if (idle === undefined) {
      idle = []
      this.#classes.set(capacity, idle)
    }
    idle.push(Buffer.from(memory, 0, capacity))
    this.#idleBytes += capacity
  }
}

/** Smaller reads come from Node's shared slab (`Buffer.allocUnsafe`), which is cheap already. */
const MIN_POOLED = 4096

function classOf(size: number): number {
  return 2 ** Math.ceil(Math.log2(size))
}
