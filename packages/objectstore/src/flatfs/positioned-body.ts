import type { HandleLease } from './handle-cache.js'

/**
 * The bytes `start … start + length - 1` of a leased file, read chunk by chunk with positioned
 * reads (the handle may be shared: nothing depends on a file position). The lease is released when
 * the body ends, fails, or is closed early (`return()`: a `for await` that breaks, or a stream
 * cancelled), even if it was never started; the signal aborts the next read.
 */
export class PositionedBody implements AsyncIterableIterator<Uint8Array> {
  readonly #lease: HandleLease
  readonly #chunkSize: number
  readonly #signal: AbortSignal | undefined
  #offset: number
  #remaining: number

  constructor(lease: HandleLease, start: number, length: number, chunkSize: number, signal?: AbortSignal) {
    this.#lease = lease
    this.#offset = start
    this.#remaining = length
    this.#chunkSize = chunkSize
    this.#signal = signal
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#remaining === 0) {
      this.#lease.release()
      return { done: true, value: undefined }
    }
    try {
      this.#signal?.throwIfAborted()
      const size = Math.min(this.#chunkSize, this.#remaining)
      const chunk = await readAt(this.#lease, this.#offset, size)
      this.#offset += size
      this.#remaining -= size
      return { done: false, value: chunk }
    } catch (error) {
      this.#remaining = 0
      this.#lease.release()
      throw error
    }
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    this.#remaining = 0
    this.#lease.release()
    return { done: true, value: undefined }
  }
}

/**
 * Exactly `size` bytes at `position` of the leased file, in one buffer.
 * @throws {Error} the file is shorter than its size said (it was truncated behind our back).
 */
export async function readAt(lease: HandleLease, position: number, size: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(size)
  let filled = 0
  while (filled < size) {
    const { bytesRead } = await lease.handle.read(buffer, filled, size - filled, position + filled)
    if (bytesRead === 0) throw new Error(`file ended ${size - filled} bytes before the end of the read`)
    filled += bytesRead
  }
  return buffer
}
