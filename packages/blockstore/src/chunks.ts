import { createHash } from 'node:crypto'
import { HASH_FUNCTIONS, UnsupportedHashError } from '@strata/blobstore'
import { BlockDigestMismatchError } from '@strata/car'
import { equals } from 'multiformats/bytes'
import type { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { BlockTooLargeError } from './errors.js'

/** What `put` accepts: bytes, or chunks of them (sync or async). */
export type BlockInput = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>

/**
 * The whole block given to `put`, gathered from its chunks (a `Uint8Array` is taken as is), so the
 * blob store is told its size. Blocks are small and bounded: past `limit` bytes the input is
 * refused without reading further.
 * @throws {BlockTooLargeError} more than `limit` bytes.
 */
export async function gather(
  cid: CID,
  input: BlockInput,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  if (input instanceof Uint8Array) {
    if (input.byteLength > limit) throw new BlockTooLargeError(cid, input.byteLength, limit)
    return input
  }
  const parts: Uint8Array[] = []
  let total = 0
  for await (const chunk of input) {
    signal?.throwIfAborted()
    total += chunk.byteLength
    if (total > limit) throw new BlockTooLargeError(cid, total, limit)
    parts.push(chunk)
  }
  return concat(parts, total)
}

/**
 * One chunk: the bytes themselves when there is one part (a plain `Uint8Array` view of a `Buffer`,
 * so every backend yields the same type), else a copy of them all.
 */
export function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return plain(parts[0] as Uint8Array)
  const out = new Uint8Array(total)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

/** `bytes` as a plain `Uint8Array` (a view, no copy, of a `Buffer`'s memory). */
export function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Whether blocks of `cid`'s hash function can be verified on read. */
export function verifiableOnRead(cid: CID): boolean {
  return HASH_FUNCTIONS.has(cid.multihash.code)
}

/**
 * `body` (a stored block's bytes) verified against `cid` while it streams, in chunks of at least
 * `chunkSize` bytes (smaller chunks are joined; a block up to `chunkSize` comes as one chunk). The
 * last chunk is held back until the hash is checked: a block that does not verify ends with an
 * error instead of its last bytes, so a consumer that reads to the end never takes it for whole.
 * @throws {UnsupportedHashError} (at the first read) the hash function is not sha2-256 or sha2-512.
 * @throws {BlockDigestMismatchError} (`name` `DigestMismatchError`) the bytes do not hash to the CID.
 */
export async function* verified(
  cid: CID,
  body: AsyncIterable<Uint8Array>,
  chunkSize: number,
): AsyncGenerator<Uint8Array> {
  const { code, digest } = cid.multihash
  const hash = HASH_FUNCTIONS.get(code)
  if (hash === undefined) {
    throw new UnsupportedHashError(
      code,
      [...HASH_FUNCTIONS.values()].map((fn) => fn.name),
    )
  }
  const hasher = createHash(hash.algorithm)
  let pending: Uint8Array[] = []
  let pendingBytes = 0
  let ready: Uint8Array | undefined
  for await (const chunk of body) {
    hasher.update(chunk)
    if (ready !== undefined) {
      yield ready
      ready = undefined
    }
    pending.push(chunk)
    pendingBytes += chunk.byteLength
    if (pendingBytes >= chunkSize) {
      ready = concat(pending, pendingBytes)
      pending = []
      pendingBytes = 0
    }
  }
  const actual = hasher.digest()
  if (!equals(actual, digest)) throw new BlockDigestMismatchError(cid, createDigest(code, actual), 0)
  if (ready !== undefined) pending.unshift(ready)
  yield concat(pending, (ready?.byteLength ?? 0) + pendingBytes)
}

/** The bytes as a one-chunk generator. */
export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

/**
 * `fn` over `source` with up to `concurrency` calls in flight, results yielded in input order. On
 * an early exit (the consumer stops, or a call fails) the calls in flight are waited for.
 */
export async function* inOrder<T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const queue: Promise<R>[] = []
  try {
    for await (const item of source) {
      const result = fn(item)
      result.catch(() => {}) // rejections are seen when awaited below, in order
      queue.push(result)
      if (queue.length >= concurrency) yield await (queue.shift() as Promise<R>)
    }
    while (queue.length > 0) yield await (queue.shift() as Promise<R>)
  } finally {
    await Promise.allSettled(queue)
  }
}
