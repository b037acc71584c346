import type { FileHandle } from 'node:fs/promises'

/** Default bytes per read from disk. */
const CHUNK_SIZE = 256 * 1024

/**
 * A forward-only buffered reader over a file handle, holding at most about one chunk plus what
 * the caller peeks at. Positional reads: the handle's own position is never used.
 */
export class FileReader {
  readonly #handle: FileHandle
  readonly #chunkSize: number
  /** Buffered bytes, starting at file offset `#position`. */
  #buffer = new Uint8Array(0)
  #position: number
  #eof = false

  constructor(handle: FileHandle, position = 0, chunkSize = CHUNK_SIZE) {
    this.#handle = handle
    this.#position = position
    this.#chunkSize = chunkSize
  }

  /** The file offset of the next unread byte. */
  get position(): number {
    return this.#position
  }

  /** Up to `n` bytes from the position, without consuming them; fewer only at the end of the file. */
  async peek(n: number): Promise<Uint8Array> {
    while (this.#buffer.byteLength < n && !this.#eof) {
      const chunk = new Uint8Array(Math.max(this.#chunkSize, n - this.#buffer.byteLength))
      const at = this.#position + this.#buffer.byteLength
      const { bytesRead } = await this.#handle.read(chunk, 0, chunk.byteLength, at)
      if (bytesRead === 0) {
        this.#eof = true
        break
      }
      const joined = new Uint8Array(this.#buffer.byteLength + bytesRead)
      joined.set(this.#buffer)
      joined.set(chunk.subarray(0, bytesRead), this.#buffer.byteLength)
      this.#buffer = joined
    }
    return this.#buffer.subarray(0, Math.min(n, this.#buffer.byteLength))
  }

  /** Consumes `n` bytes already peeked at. */
  skip(n: number): void {
    if (n > this.#buffer.byteLength)
      throw new RangeError(`cannot skip ${n} bytes, ${this.#buffer.byteLength} buffered`)
    this.#buffer = this.#buffer.subarray(n)
    this.#position += n
  }

  /** Consumes and answers `n` bytes (held whole: for small reads). */
  async take(n: number): Promise<Uint8Array> {
    const bytes = await this.peek(n)
    if (bytes.byteLength < n)
      throw new RangeError(`unexpected end of file at ${this.#position + bytes.byteLength}`)
    this.skip(n)
    return bytes
  }

  /** Consumes `n` bytes as chunks of at most one read each; stops early at the end of the file. */
  async *stream(n: number): AsyncGenerator<Uint8Array> {
    let left = n
    while (left > 0) {
      const chunk = await this.peek(Math.min(left, this.#chunkSize))
      if (chunk.byteLength === 0) return
      this.skip(chunk.byteLength)
      left -= chunk.byteLength
      yield chunk
    }
  }
}
