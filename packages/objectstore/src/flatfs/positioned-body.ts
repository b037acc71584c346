import { read } from 'node:fs'
import type { HandleLease } from './handle-cache.js'
import type { ReadBuffers } from './read-buffers.js'

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
  readonly #buffers: ReadBuffers
  #offset: number
  #remaining: number

  constructor(
    lease: HandleLease,
    buffers: ReadBuffers,
    range: { start: number; length: number },
    chunkSize: number,
    signal?: AbortSignal,
  ) {
    const { start, length } = range
    this.#lease = lease
    this.#buffers = buffers
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
      const chunk = await readAt(this.#lease, this.#buffers.take(size), this.#offset)
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
 * Fills `buffer` with the bytes at `position` of the leased file; answers it. Reads through the
 * handle's fd with `fs.read`'s callback: the promise API's per-call request object costs several
 * microseconds more, and a small ranged read is one call. The lease keeps the fd open meanwhile.
 * @throws {Error} the file is shorter than its size said (it was truncated behind our back).
 */
export async function readAt(lease: HandleLease, buffer: Buffer, position: number): Promise<Buffer> {
  const size = buffer.byteLength
  const fd = lease.handle.fd
  let filled = 0
  while (filled < size) {
    const bytesRead = await readFd(fd, buffer, filled, size - filled, position + filled)
    if (bytesRead === 0) throw new Error(`file ended ${size - filled} bytes before the end of the read`)
    filled += bytesRead
  }
  return buffer
}

function readFd(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, offset, length, position, (error, bytesRead) =>
      error ? reject(error) : resolve(bytesRead),
    )
  })
}
