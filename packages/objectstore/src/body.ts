/**
 * Helpers for backend implementers: key and size checks every backend shares, and the body
 * adapters that count a body against its declared size.
 * @packageDocumentation
 */
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
 * Checks a declared size (`undefined`: not declared).
 * @throws {RangeError} when `size` is not a non-negative safe integer.
 */
export function assertSize(size: number | undefined): void {
  if (size === undefined) return
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
 * Passes `body` through while counting it: against the declared `size` (throws as soon as a byte
 * past `size` arrives, or at the end when fewer arrived), or, with `size` undefined, against
 * `limit` (throws `TooLargeError` past it). Empty chunks are dropped.
 * @throws {TooLargeError | TooSmallError}
 */
export async function* exactly(
  body: Body,
  size: number | undefined,
  signal?: AbortSignal,
  limit = Number.MAX_SAFE_INTEGER,
): AsyncGenerator<Uint8Array> {
  const max = size ?? limit
  let received = 0
  for await (const chunk of chunks(body)) {
    signal?.throwIfAborted()
    received += chunk.byteLength
    if (received > max) throw new TooLargeError(max, received)
    if (chunk.byteLength > 0) yield chunk
  }
  signal?.throwIfAborted()
  if (size !== undefined && received < size) throw new TooSmallError(size, received)
}

/**
 * Reads `body` into one buffer: exactly `size` bytes (never more is allocated or held), or, with
 * `size` undefined, whatever it holds up to `limit` bytes. For backends that hold values whole
 * (memory, datastore).
 * @throws {TooLargeError | TooSmallError}
 */
export async function collect(
  body: Body,
  size: number | undefined,
  signal?: AbortSignal,
  limit?: number,
): Promise<Uint8Array> {
  if (size === undefined) {
    const parts: Uint8Array[] = []
    let total = 0
    for await (const chunk of exactly(body, undefined, signal, limit)) {
      parts.push(chunk)
      total += chunk.byteLength
    }
    return concat(parts, total)
  }
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

/** The chunks in one fresh buffer of `total` bytes (never a view of a caller's buffer). */
function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}
