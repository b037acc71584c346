import { createWriteStream } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { httpFailure, request } from './http.js'
import { CliError, type CliIo, println } from './io.js'
import { resolveTarget } from './target.js'

/** Options of `strata export`. */
export interface ExportOptions {
  cid: string
  /** Output file; default stdout. */
  output?: string
  url?: string
  config?: string
}

/**
 * `strata export <cid> [-o file.car] [--url base]`: streams `GET /car/:cid` (the DAG under the
 * root as a CARv1) to stdout or a file. The server cuts an export short when a block is missing
 * mid-walk: a truncated answer is an error (exit 1) and the file is removed.
 * @throws {CliError} exit 1 on an HTTP or network failure or a truncated answer.
 */
export async function exportCar(io: CliIo, options: ExportOptions): Promise<number> {
  const { url } = await resolveTarget(io, options.url, options.config)
  const what = `GET /car/${options.cid}`
  const response = await request(`${url}/car/${encodeURIComponent(options.cid)}`)
  if (!response.ok) throw await httpFailure(response, what)
  const body = response.body
    ? Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>)
    : Readable.from([])
  let bytes = 0
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length
  })
  const truncated = (error: unknown) =>
    new CliError(
      `${what}: the answer was cut short after ${bytes} bytes (${(error as Error).message}); a block of the DAG is missing or the server failed`,
      1,
    )
  if (options.output === undefined) {
    try {
      await pipeline(body, io.stdout as Writable, { end: false })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0 // `| head` is not a failure
      throw truncated(error)
    }
    return 0
  }
  const path = resolve(io.cwd, options.output)
  try {
    await pipeline(body, createWriteStream(path))
  } catch (error) {
    await unlink(path).catch(() => {})
    throw truncated(error)
  }
  println(io.stderr, `wrote ${bytes} bytes to ${options.output}`)
  return 0
}
