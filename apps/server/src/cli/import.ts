import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { httpFailure } from './http.js'
import { CliError, type CliIo, println } from './io.js'
import { sendFile } from './send-file.js'
import { resolveTarget, resolveToken } from './target.js'

/** Options of `strata import`. */
export interface ImportOptions {
  file: string
  /** A DID that then holds the CAR (`POST /car?owner=`). */
  owner?: string
  url?: string
  token?: string
  config?: string
}

/** What `POST /car` answers. */
interface Imported {
  digest: string
  size: number
  roots: string[]
  blocks: number
  index: string
}

/**
 * `strata import <file.car> [--owner did] [--url base] [--token t]`: streams the CAR to `POST /car` with its
 * `Content-Length` (a progress bar on stderr), then prints `digest <z…>`, one `root <cid>` line
 * per root, `blocks <n>` and `index <cid>` on stdout.
 * @throws {CliError} exit 1 on an HTTP or network failure (with the server's error: a malformed
 *   CAR names its byte offset), exit 2 on bad usage or a missing token.
 */
export async function importCar(io: CliIo, options: ImportOptions): Promise<number> {
  const path = resolve(io.cwd, options.file)
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`${options.file}: ${error.code === 'ENOENT' ? 'file not found' : error.message}`, 1)
  })
  if (!info.isFile()) throw new CliError(`${options.file}: not a file`, 1)
  const target = await resolveTarget(io, options.url, options.config)
  const token = await resolveToken(io, options.token, options.config, target.config)
  const response = await sendFile(io, {
    method: 'POST',
    url: `${target.url}/car${options.owner === undefined ? '' : `?owner=${encodeURIComponent(options.owner)}`}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.ipld.car' },
    path,
    size: info.size,
    verb: 'importing',
  })
  if (!response.ok) throw await httpFailure(response, 'POST /car')
  const imported = (await response.json()) as Imported
  if (response.status === 200) println(io.stderr, 'already imported')
  println(io.stdout, `digest ${imported.digest}`)
  for (const root of imported.roots) println(io.stdout, `root ${root}`)
  println(io.stdout, `blocks ${imported.blocks}`)
  println(io.stdout, `index ${imported.index}`)
  return 0
}
