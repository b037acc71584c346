import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { base58btc } from 'multiformats/bases/base58'
import { create as createDigest } from 'multiformats/hashes/digest'
import { httpFailure, request } from './http.js'
import { CliError, type CliIo, println } from './io.js'
import { createProgress } from './progress.js'
import { counter, sendFile } from './send-file.js'
import { resolveTarget, resolveToken } from './target.js'

/** Options of `strata put`. */
export interface PutOptions {
  file: string
  /** The space (a DID) the blob is allocated in; default the node's own DID from `/healthz`. */
  space?: string
  url?: string
  token?: string
  config?: string
}

/** What `POST /allocations` answers. */
interface Allocation {
  allocated: boolean
  url?: string
  headers?: Record<string, string>
  expiresAt?: string | number
}

const SHA2_256 = 0x12

/** The sha2-256 multihash of a file, read streaming, as `z…` (base58btc). */
export async function hashFile(io: CliIo, path: string, size: number): Promise<string> {
  const hash = createHash('sha256')
  const progress = createProgress(io, 'hashing  ', size, undefined)
  await pipeline(createReadStream(path), counter(progress), hash)
  progress.done()
  return base58btc.encode(createDigest(SHA2_256, hash.digest()).bytes)
}

/** The node's DID from `GET /healthz`, the default space. */
async function nodeDid(url: string): Promise<string> {
  const response = await request(`${url}/healthz`)
  if (!response.ok) throw await httpFailure(response, 'GET /healthz')
  const { did } = (await response.json()) as { did?: unknown }
  if (typeof did !== 'string')
    throw new CliError('the server does not tell its DID on /healthz: pass --space <did>', 2)
  return did
}

/** PUTs the file to the presigned URL with its signed headers, streaming, with progress. */
async function upload(
  io: CliIo,
  path: string,
  size: number,
  target: string,
  headers: Record<string, string>,
) {
  const response = await sendFile(io, { method: 'PUT', url: target, headers, path, size, verb: 'uploading' })
  if (response.status !== 200 && response.status !== 201)
    throw await httpFailure(response, 'PUT (presigned upload)')
}

/**
 * `strata put <file> [--space <did>] [--url base] [--token t]`: hashes the file (sha2-256, streaming),
 * allocates it (`POST /allocations` with the bearer token), uploads it streaming to the presigned
 * URL with its signed headers, then prints the digest (`z…`) and the blob URL on stdout.
 * @throws {CliError} exit 1 on an HTTP or network failure, exit 2 on bad usage or a missing token.
 */
export async function put(io: CliIo, options: PutOptions): Promise<number> {
  const path = resolve(io.cwd, options.file)
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`${options.file}: ${error.code === 'ENOENT' ? 'file not found' : error.message}`, 1)
  })
  if (!info.isFile()) throw new CliError(`${options.file}: not a file`, 1)
  const target = await resolveTarget(io, options.url, options.config)
  const token = await resolveToken(io, options.token, options.config, target.config)
  const digest = await hashFile(io, path, info.size)
  const space = options.space ?? (await nodeDid(target.url))
  const response = await request(`${target.url}/allocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ space, blob: { digest, size: info.size } }),
  })
  if (!response.ok) throw await httpFailure(response, 'POST /allocations')
  const allocation = (await response.json()) as Allocation
  const blobUrl = `${target.url}/blob/${digest}`
  if (allocation.allocated && allocation.url !== undefined) {
    await upload(io, path, info.size, allocation.url, allocation.headers ?? {})
  } else {
    const head = await request(blobUrl, { method: 'HEAD' })
    if (!head.ok)
      throw new CliError(
        `already allocated in ${space} but not uploaded (HEAD ${head.status}); retry later`,
        1,
      )
    println(io.stderr, 'already stored')
  }
  println(io.stdout, digest)
  println(io.stdout, blobUrl)
  return 0
}
