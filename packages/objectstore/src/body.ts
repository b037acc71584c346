import type { Body } from './contract.js'
import { InvalidKeyError, TooLargeError, TooSmallError } from './errors.js'

/** The longest key any backend accepts, in UTF-8 bytes (S3's limit). */
export const MAX_KEY_BYTES = 1024

/**
 * Checks what every backend requires of a key: a non-empty string of at most
 * {@link MAX_KEY_BYTES} UTF-8 bytes without NUL. Backends add their own rules on top.
 * @throws {InvalidKeyError}
 */
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(String(key), 'empty key')
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new InvalidKeyError(key, `longer than ${MAX_KEY_BYTES} bytes`)
  }
  if (key.includes('\0')) throw new InvalidKeyError(key, 'contains NUL')
}

/**
 * Checks a declared size.
 * @throws {RangeError} when `size` is not a non-negative safe integer.
 */
export function assertSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`size must be a non-negative safe integer, got ${size}`)
  }
}

/** Yields `body` as chunks, whether it came whole or streamed. */
export async function* chunks(body: Body): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body
    return
  }
  yield* body
}

/**
 * Passes `body` through while counting it against the declared `size`: throws as soon as a byte
 * past `size` arrives, or at the end when fewer arrived. Empty chunks are dropped.
 * @throws {TooLargeError | TooSmallError}
 */
export async function* exactly(body: Body, size: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  let received = 0
  for await (const chunk of chunks(body)) {
    signal?.throwIfAborted()
    received += chunk.byteLength
    if (received > size) throw new TooLargeError(size, received)
    if (chunk.byteLength > 0) yield chunk
  }
  signal?.throwIfAborted()
  if (received < size) throw new TooSmallError(size, received)
}

/**
 * Reads `body` into one buffer of exactly `size` bytes (never more is allocated or held).
 * For backends that must hold values whole (memory, datastore).
 * @throws {TooLargeError | TooSmallError}
 */
export async function collect(body: Body, size: number, signal?: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(size)
  let offset = 0
  for await (const chunk of exactly(body, size, signal)) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** A body of one chunk (none when `bytes` is empty). */
export async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  if (bytes.byteLength > 0) yield bytes
}
