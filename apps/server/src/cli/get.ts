import { createWriteStream } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { httpFailure, request } from './http.js'
import { type CliIo, println, usageError } from './io.js'
import { resolveTarget } from './target.js'

/** Options of `strata get`. */
export interface GetOptions {
  digest: string
  /** `a-b`, `a-` or `-n` (bytes, inclusive, as in an HTTP `Range`). */
  range?: string
  /** Output file; default stdout. */
  output?: string
  /** Server base URL (see `resolveTarget`). */
  url?: string
  config?: string
}

/**
 * `a-b` / `a-` / `-n` → `bytes=a-b`.
 * @throws {CliError} exit 2 on anything else.
 */
export function rangeHeader(range: string): string {
  const match = /^(\d*)-(\d*)$/.exec(range.trim())
  if (
    !match ||
    (match[1] === '' && match[2] === '') ||
    (match[1] !== '' && match[2] !== '' && Number(match[2]) < Number(match[1]))
  )
    throw usageError(`--range expects a-b, a- or -n (bytes, inclusive), got ${JSON.stringify(range)}`)
  return `bytes=${match[1]}-${match[2]}`
}

/**
 * `strata get <digest> [--range a-b] [-o file] [--url base]`: streams the blob (or the range) to
 * stdout or a file (removed again if the transfer fails).
 * @throws {CliError} exit 1 with the server's error on an HTTP error, exit 2 on bad usage.
 */
export async function get(io: CliIo, options: GetOptions): Promise<number> {
  const headers: Record<string, string> = {}
  if (options.range !== undefined) headers.range = rangeHeader(options.range)
  const { url } = await resolveTarget(io, options.url, options.config)
  const response = await request(`${url}/blob/${encodeURIComponent(options.digest)}`, { headers })
  if (!response.ok) throw await httpFailure(response, `GET /blob/${options.digest}`)
  if (response.headers.get('content-type')?.startsWith('multipart/'))
    throw usageError('the server answered several ranges; ask for one')
  const body = response.body
    ? Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>)
    : Readable.from([])
  if (options.output === undefined) {
    await pipeline(body, io.stdout as Writable, { end: false }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error // a closed pipe (`| head`) is not a failure
    })
    return 0
  }
  const path = resolve(io.cwd, options.output)
  let bytes = 0
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length
  })
  try {
    await pipeline(body, createWriteStream(path))
  } catch (error) {
    await unlink(path).catch(() => {})
    throw error
  }
  const range = response.headers.get('content-range')
  println(io.stderr, `wrote ${bytes} bytes to ${options.output}${range ? ` (${range})` : ''}`)
  return 0
}
