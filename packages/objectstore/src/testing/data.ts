import { createHash, randomBytes } from 'node:crypto'

/** Bytes of `text` as UTF-8. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** Concatenates a body into one buffer: for test assertions on small objects only. */
export async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of body) parts.push(chunk)
  return Buffer.concat(parts)
}

/** Splits `bytes` into chunks of `size` bytes (the last may be shorter), as a stream. */
export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) {
    yield bytes.subarray(offset, offset + size)
  }
}

/** Bytes between two `gc()` calls of {@link patternStream} and {@link sha256Of}. */
const GC_EVERY = 4 * 1024 * 1024

/**
 * A deterministic stream of `total` bytes in fresh chunks of `chunkSize`: every chunk is a copy of
 * one random template with its index stamped in, so no two chunks are equal and the stream is
 * never held whole. Calls `gc()` every 4 MiB when the process runs with `--expose-gc`, so
 * memory measurements see live memory rather than garbage (socket reads and copies leave up to
 * twice the bytes in flight as garbage between two collections).
 */
export function patternStream(
  total: number,
  chunkSize = 1024 * 1024,
): {
  stream: () => AsyncGenerator<Uint8Array>
  sha256: () => string
} {
  const template = randomBytes(chunkSize)
  const chunkAt = (index: number, length: number): Uint8Array => {
    const chunk = Buffer.from(template.subarray(0, length))
    chunk.writeUInt32BE(index >>> 0, 0)
    return chunk
  }
  const count = Math.ceil(total / chunkSize)
  const lengthOf = (index: number) => Math.min(chunkSize, total - index * chunkSize)
  return {
    async *stream() {
      let sinceGc = 0
      for (let index = 0; index < count; index++) {
        const length = lengthOf(index)
        sinceGc += length
        if (sinceGc >= GC_EVERY) {
          maybeGc()
          sinceGc = 0
        }
        yield chunkAt(index, length)
      }
    },
    sha256() {
      const hash = createHash('sha256')
      for (let index = 0; index < count; index++) hash.update(chunkAt(index, lengthOf(index)))
      return hash.digest('hex')
    },
  }
}

/** sha2-256 (hex) of a streamed body, consumed chunk by chunk; calls `gc()` every 4 MiB as {@link patternStream} does. */
export async function sha256Of(body: AsyncIterable<Uint8Array>): Promise<{ hex: string; bytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of body) {
    hash.update(chunk)
    bytes += chunk.byteLength
    if (bytes % GC_EVERY < chunk.byteLength) maybeGc()
  }
  return { hex: hash.digest('hex'), bytes }
}

function maybeGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
}

/**
 * Runs `task` while sampling the process's `arrayBuffers` + heap memory every few milliseconds,
 * and answers the peak growth in bytes over the level measured just before.
 */
export async function peakMemoryGrowth(task: () => Promise<void>): Promise<number> {
  maybeGc()
  const sample = () => {
    const usage = process.memoryUsage()
    return usage.arrayBuffers + usage.heapUsed
  }
  const baseline = sample()
  let peak = baseline
  const timer = setInterval(() => {
    peak = Math.max(peak, sample())
  }, 2)
  try {
    await task()
  } finally {
    clearInterval(timer)
  }
  peak = Math.max(peak, sample())
  return peak - baseline
}

/** A short random key in the flatfs charset, unique per call. */
export function randomKey(prefix = 't'): string {
  return `${prefix}${randomBytes(8).toString('hex')}`
}

/** Every key of `store` under `prefix`, sorted. */
export async function listKeys(
  store: { list(prefix?: string): AsyncIterable<string> },
  prefix = '',
): Promise<string[]> {
  const keys: string[] = []
  for await (const key of store.list(prefix)) keys.push(key)
  return keys.sort()
}
