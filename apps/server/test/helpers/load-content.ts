/**
 * Deterministic blob content for the load and concurrency tests: any byte range of a blob is
 * computed from its seed alone, so clients check ranged downloads byte for byte without holding
 * blobs. A blob is 64 KiB chunks of one xorshift32 template (from the seed), each chunk's index
 * stamped big-endian into its first 4 bytes (so no two chunks are equal).
 */
import { createHash } from 'node:crypto'
import { xorshiftBytes, zDigest } from './e2e-helpers.js'

const MiB = 1024 * 1024
/** The chunk size of the content pattern. */
export const CHUNK = 64 * 1024
/** How many bytes a stream yields at a time. */
const YIELD = 256 * 1024

const templates = new Map<number, Buffer>()

/** The 64 KiB template of `seed` (a small cache of recent seeds). */
function templateOf(seed: number): Buffer {
  const cached = templates.get(seed)
  if (cached) return cached
  const template = xorshiftBytes(seed, CHUNK)
  if (templates.size >= 256) templates.clear()
  templates.set(seed, template)
  return template
}

/** A blob of the load tests: its seed, size and sha2-256 digest (`z…`, base58btc multihash). */
export interface SeededBlob {
  seed: number
  size: number
  /** sha256, hex. */
  sha256: string
  /** `z…` multihash, as in the routes. */
  digest: string
}

/** Writes bytes `[start, start + target.length)` of the blob of `seed` into `target`. */
export function fillRange(seed: number, start: number, target: Uint8Array): void {
  const template = templateOf(seed)
  let at = 0
  while (at < target.length) {
    const offset = start + at
    const chunk = Math.floor(offset / CHUNK)
    const within = offset % CHUNK
    const n = Math.min(CHUNK - within, target.length - at)
    target.set(template.subarray(within, within + n), at)
    // the stamp: bytes 0..3 of every chunk hold its index, big-endian
    for (let b = within; b < 4 && b < within + n; b++)
      target[at + b - within] = (chunk >>> (8 * (3 - b))) & 0xff
    at += n
  }
}

/** The bytes `[start, end]` (inclusive) of the blob of `seed`, streamed in fresh 256 KiB buffers. */
export async function* rangeStream(seed: number, start: number, end: number): AsyncGenerator<Buffer> {
  for (let at = start; at <= end; at += YIELD) {
    const chunk = Buffer.allocUnsafe(Math.min(YIELD, end - at + 1))
    fillRange(seed, at, chunk)
    yield chunk
  }
}

/** Describes (seed, size, digest) a blob, hashing its content once without holding it. */
export function seededBlob(seed: number, size: number): SeededBlob {
  const hash = createHash('sha256')
  const chunk = Buffer.allocUnsafe(Math.min(MiB, size))
  for (let at = 0; at < size; at += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, size - at))
    fillRange(seed, at, part)
    hash.update(part)
  }
  const sha256 = hash.digest('hex')
  return { seed, size, sha256, digest: zDigest(sha256) }
}

/**
 * Compares `received`, which should be bytes `[offset, offset + received.length)` of the blob of
 * `seed`, with the expected bytes: answers how many differ.
 */
export function mismatches(seed: number, offset: number, received: Uint8Array): number {
  const expected = Buffer.allocUnsafe(received.length)
  fillRange(seed, offset, expected)
  if (Buffer.compare(expected, received) === 0) return 0
  let differ = 0
  for (let i = 0; i < received.length; i++) if (expected[i] !== received[i]) differ++
  return differ
}

/** A size from 1 KiB to 16 MiB, log-uniform, from `random()` in [0, 1). */
export function logUniformSize(random: () => number, min = 1024, max = 16 * MiB): number {
  return Math.floor(Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min))))
}

/** A small seeded PRNG (mulberry32): `() => [0, 1)`. */
export function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
