// Shared helpers for bench suites: timing, medians and a deterministic upload-like byte source.
import { createHash, randomBytes } from 'node:crypto'

export const MiB = 1024 * 1024

/** The median of `values` (mean of the middle two for an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Runs `task` and answers its throughput in MiB/s for `bytes` bytes. */
export async function throughput(bytes, task) {
  const start = process.hrtime.bigint()
  await task()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return bytes / MiB / seconds
}

/**
 * A deterministic stream of `total` bytes in fresh `chunkSize` chunks, like an upload arriving
 * from a socket: every chunk is a new buffer (a copy of one random template with its index
 * stamped in), so no two chunks are equal and the stream is never held whole.
 */
export function patternSource(total, chunkSize = MiB) {
  const template = randomBytes(chunkSize)
  const count = Math.ceil(total / chunkSize)
  return async function* stream() {
    for (let index = 0; index < count; index++) {
      const chunk = Buffer.from(template.subarray(0, Math.min(chunkSize, total - index * chunkSize)))
      chunk.writeUInt32BE(index, 0)
      yield chunk
    }
  }
}

/** Hashes a stream with `node:crypto` and answers the raw digest. */
export async function hashStream(stream, algorithm = 'sha256') {
  const hash = createHash(algorithm)
  for await (const chunk of stream) hash.update(chunk)
  return hash.digest()
}

/** Formats MiB/s for tables. */
export const mibps = (value) => `${value.toFixed(0)} MiB/s`

/**
 * JSON as the repository's formatter (Biome, 110 columns) writes it, so a results file passes
 * `biome ci` as written: objects expanded, arrays on one line when they fit, else one item a line.
 */
export function toJson(value, indent = '', prefix = '') {
  if (Array.isArray(value)) {
    const items = value.map((item) => toJson(item, `${indent}  `))
    const flat = `[${items.join(', ')}]`
    if (!flat.includes('\n') && indent.length + prefix.length + flat.length + 1 <= 110) return flat
    if (items.length === 0) return '[]'
    return `[\n${items.map((item) => `${indent}  ${item}`).join(',\n')}\n${indent}]`
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined)
    if (entries.length === 0) return '{}'
    const lines = entries.map(([key, item]) => {
      const head = `${JSON.stringify(key)}: `
      return `${indent}  ${head}${toJson(item, `${indent}  `, head)}`
    })
    return `{\n${lines.join(',\n')}\n${indent}}`
  }
  return JSON.stringify(value)
}

/** Raw sha2-256 speed of this machine: one 1 MiB buffer hashed over and over, no I/O, no allocation. */
export function rawSha256(size) {
  const buffer = Buffer.alloc(MiB, 0x5a)
  const start = process.hrtime.bigint()
  const hash = createHash('sha256')
  for (let hashed = 0; hashed < size; hashed += MiB) hash.update(buffer)
  hash.digest()
  return size / MiB / (Number(process.hrtime.bigint() - start) / 1e9)
}
