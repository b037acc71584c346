/**
 * Shared helpers of the `bad-input*` tests: proof that nothing was stored (blob objects, flatfs
 * temp files, allocation / acceptance records), raw HTTP/1.1 over `net.Socket` (fetch and undici
 * normalise paths and headers; these tests must send the bytes as written), and a real listening
 * server on a free loopback port.
 */
import { readdir } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { pino } from 'pino'
import { expect } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import type { Cradle } from '../../src/container/index.js'
import { type RunningServer, startServer } from '../../src/server.js'

/** Every file under `dir` (recursive, relative paths, sorted); `[]` when `dir` does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort()
}

/**
 * Asserts that none of `digests` left a trace: no blob (`blobs.has`), no allocation, no
 * acceptance, and no file at all under `<dataDir>/blobs` (neither an object nor a `.temp/` left-over;
 * on the memory backend the directory does not exist; see {@link blobFilesOf}). `blobFiles` lists the blob files allowed
 * to be there (stored earlier on purpose).
 */
export async function expectNothingStored(
  cradle: Cradle,
  digests: readonly MultihashDigest[],
  blobFiles: readonly string[] = [],
): Promise<void> {
  for (const digest of digests) {
    expect(await cradle.blobs.has(digest), 'blob stored').toBe(false)
    expect(await cradle.allocations.has(digest), 'allocation recorded').toBe(false)
    expect(await cradle.acceptances.has(digest), 'acceptance recorded').toBe(false)
  }
  expect(await blobFilesOf(cradle.config.storage.dataDir)).toEqual(blobFiles)
}

/**
 * The flatfs blob files under `<dataDir>/blobs`: stored objects (`*.data`) and anything in `.temp/`
 * (flatfs' own `SHARDING` and `_README` are left out). `[]` on the memory backend.
 */
export async function blobFilesOf(dataDir: string): Promise<string[]> {
  const files = await filesUnder(join(dataDir, 'blobs'))
  return files.filter((file) => file.endsWith('.data') || file.startsWith('.temp'))
}

/** Polls `check` every 20 ms until it stops throwing, for at most `ms` (then throws its error). */
export async function eventually(check: () => Promise<void>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

/** A response read off a raw socket. */
export interface RawAnswer {
  /** The status code, 0 when the server closed without answering. */
  status: number
  /** Lower-cased header names; the last value of a repeated header. */
  headers: Record<string, string>
  body: Buffer
}

/** What {@link rawExchange} sends after the request bytes. */
export interface RawOptions {
  /**
   * After writing: `wait` (default) reads until the server closes; `end` half-closes first (Node's
   * server then aborts whatever request is still in flight); `destroy` resets; `keep` resolves as
   * soon as one response with a `Content-Length` body has arrived.
   */
  after?: 'wait' | 'end' | 'destroy' | 'keep'
  /** Milliseconds before giving up on the answer (default 5000). */
  timeoutMs?: number
}

/**
 * Writes `bytes` as is to `127.0.0.1:port` and reads until the server closes the connection (send
 * `Connection: close`) or, with `after: 'keep'`, until one whole response has arrived (see
 * {@link RawOptions.after}).
 * @throws {Error} when nothing conclusive arrived in `timeoutMs` (a hang).
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer,
  options: RawOptions = {},
): Promise<RawAnswer> {
  const after = options.after ?? 'wait'
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer in ${options.timeoutMs ?? 5000} ms: ${Buffer.concat(chunks).toString()}`))
    }, options.timeoutMs ?? 5000)
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(parseAnswer(Buffer.concat(chunks)))
    }
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      if (after === 'keep' && complete(Buffer.concat(chunks))) finish()
    })
    socket.on('error', () => finish())
    socket.on('close', finish)
    socket.write(bytes, () => {
      if (after === 'end') socket.end()
      if (after === 'destroy') socket.destroy()
    })
  })
}

/** Whether `raw` holds a whole response with a `Content-Length` body. */
function complete(raw: Buffer): boolean {
  const answer = parseAnswer(raw)
  const length = answer.headers['content-length']
  return answer.status !== 0 && length !== undefined && answer.body.length >= Number(length)
}

/** Parses one HTTP/1.1 response (status line, headers, the bytes after them as the body). */
export function parseAnswer(raw: Buffer): RawAnswer {
  const end = raw.indexOf('\r\n\r\n')
  if (end === -1) return { status: 0, headers: {}, body: raw }
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: raw.subarray(end + 4) }
}

/** The bearer token of {@link startTestServer}'s servers. */
export const SERVER_TOKEN = 'bad-input-server-token-0123456789'
/** `server.maxBlobSize` of {@link startTestServer}'s servers. */
export const SERVER_MAX = 64 * 1024

/** A real `node:http` server (`startServer`) on a free loopback port, data in `dataDir`. */
export function startTestServer(backend: 'memory' | 'filesystem', dataDir: string): Promise<RunningServer> {
  const config = configSchema.parse({
    storage: { backend, dataDir },
    server: { host: '127.0.0.1', port: 0, authToken: SERVER_TOKEN, maxBlobSize: SERVER_MAX },
    log: { level: 'silent' },
  })
  return startServer({ config, logger: pino({ level: 'silent' }), shutdownTimeoutMs: 1000 })
}
