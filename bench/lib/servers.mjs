// Child-process servers for the HTTP download suites: `strata serve` (filesystem backend, temp data
// dir; `STRATA_BENCH_BIN` may point at another build's bin/strata.js), the bare `node:http` +
// `createReadStream` server (`servers/bare-node.mjs`) and the Node ceiling for ranged GETs
// (`servers/node-ceiling.mjs`), each in its own process; plus the plain HTTP client helpers
// (allocate + presigned PUT, hashed / counted GETs) the suites use to set up and verify.

import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, openSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { base58btc } from 'multiformats/bases/base58'
import { create as createDigest } from 'multiformats/hashes/digest'
import { track } from './children.mjs'
import { STRATA_BIN, send } from './strata-server.mjs'

const here = dirname(fileURLToPath(import.meta.url))
export const BARE_NODE = join(here, '..', 'servers', 'bare-node.mjs')
export const NODE_CEILING = join(here, '..', 'servers', 'node-ceiling.mjs')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The environment without any STRATA_* of the caller (a developer's config must not leak in). */
function cleanEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('STRATA_')))
  return { ...env, ...extra }
}

/**
 * Waits for the `{"msg":"listening","url":…}` JSON line in the file `logFile` (the child's stdout
 * goes to a file: a pipe would make the bench process read every request log line, and a file is
 * what a deployed server writes to). Answers the URL.
 */
async function waitForListening(child, logFile, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = await readFile(logFile, 'utf8').catch(() => '')
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}): ${log.slice(-2000)}`)
    }
    const text = await readFile(logFile, 'utf8').catch(() => '')
    for (const line of text.split('\n')) {
      if (!line.includes('listening')) continue
      try {
        const parsed = JSON.parse(line)
        if (parsed.msg === 'listening' && parsed.url) return parsed.url
      } catch {
        // a partial line: try again
      }
    }
    await sleep(50)
  }
  throw new Error(`no listening line in ${logFile} after ${timeoutMs} ms`)
}

/**
 * Spawns `node <nodeOptions> <args>` with stdout and stderr to `<logDir>/<label>.log`; answers
 * `{ child, logFile, stop }`. `stop()` sends SIGTERM to that pid (SIGKILL after 15 s) and waits for
 * the exit; it never throws and can be called twice.
 */
function spawnLogged({ label, args, env, cwd, logDir, nodeOptions = [] }) {
  const logFile = join(logDir, `${label}.log`)
  const fd = openSync(logFile, 'a') // appended: a restarted server keeps its earlier lines
  let child
  try {
    child = track(spawn(process.execPath, [...nodeOptions, ...args], { cwd, env, stdio: ['ignore', fd, fd] }))
  } finally {
    closeSync(fd)
  }
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    }
  }
  return { child, logFile, stop }
}

/**
 * Spawns `node <args>` with stdout (and stderr) to `<logDir>/<label>.log`, waits for its listening
 * line; answers `{ url, pid, child, logFile, stop }`. `stop()` sends SIGTERM to that pid (SIGKILL
 * after 15 s) and waits for the exit; it never throws and can be called twice.
 */
export async function startChild({ label, args, env, cwd, logDir, nodeOptions = [] }) {
  const { child, logFile, stop } = spawnLogged({ label, args, env, cwd, logDir, nodeOptions })
  try {
    const url = await waitForListening(child, logFile)
    return { url, pid: child.pid, child, logFile, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * `strata serve` on the filesystem backend in `dataDir` (also its working directory, so no
 * strata.config.json is picked up), 127.0.0.1, a free port, log level `logLevel`. Answers the
 * child (see {@link startChild}) plus `token` (read from `<dataDir>/auth-token`).
 */
export async function startStrata({ dataDir, logDir, label = 'strata', logLevel = 'warn', nodeOptions }) {
  const env = cleanEnv({
    STRATA_STORAGE_BACKEND: 'filesystem',
    STRATA_STORAGE_DATA_DIR: dataDir,
    STRATA_SERVER_HOST: '127.0.0.1',
    STRATA_SERVER_PORT: '0',
    STRATA_LOG_LEVEL: logLevel,
  })
  // the listening line is logged at info: below that level, poll /healthz for the URL instead
  if (logLevel !== 'info' && logLevel !== 'debug' && logLevel !== 'trace') {
    return startStrataQuiet({ dataDir, logDir, label, logLevel, env, nodeOptions })
  }
  const server = await startChild({
    label,
    args: [STRATA_BIN, 'serve'],
    env,
    cwd: dataDir,
    logDir,
    nodeOptions,
  })
  return { ...server, token: (await readFile(join(dataDir, 'auth-token'), 'utf8')).trim() }
}

/**
 * A quiet strata (level warn and above hides the `listening` line): a free port is picked here
 * first and passed explicitly, then /healthz is polled.
 */
async function startStrataQuiet({ dataDir, logDir, label, env, nodeOptions }) {
  const { createServer } = await import('node:net')
  const port = await new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address()
      probe.close(() => resolve(free))
    })
  })
  const { child, logFile, stop } = spawnLogged({
    label,
    args: [STRATA_BIN, 'serve'],
    env: { ...env, STRATA_SERVER_PORT: String(port) },
    cwd: dataDir,
    logDir,
    nodeOptions,
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const log = await readFile(logFile, 'utf8').catch(() => '')
        throw new Error(`strata serve exited (${child.exitCode ?? child.signalCode}): ${log.slice(-2000)}`)
      }
      const ok = await send(`${url}/healthz`, 'GET').then(
        (res) => res.status === 200,
        () => false,
      )
      if (ok) break
      if (Date.now() > deadline) throw new Error(`strata serve not healthy after 30 s (${logFile})`)
      await sleep(100)
    }
    const token = (await readFile(join(dataDir, 'auth-token'), 'utf8')).trim()
    return { url, pid: child.pid, child, logFile, stop, token }
  } catch (error) {
    await stop()
    throw error
  }
}

/** The bare `node:http` + `fs.createReadStream` server over `dir` (GET /blob/<file name>). */
export function startBareNode({ dir, logDir, nodeOptions }) {
  return startChild({
    label: 'bare-node',
    args: [BARE_NODE, dir],
    env: process.env,
    cwd: dir,
    logDir,
    nodeOptions,
  })
}

/** The Node ceiling for ranged GETs (`servers/node-ceiling.mjs`) over `dir`. */
export function startNodeCeiling({ dir, logDir, nodeOptions }) {
  return startChild({
    label: 'node-ceiling',
    args: [NODE_CEILING, dir],
    env: process.env,
    cwd: dir,
    logDir,
    nodeOptions,
  })
}

export { STRATA_BIN, send }

/**
 * GETs `url`, counting (and with `hash`, sha256-hashing) the body as it arrives, never holding it:
 * answers `{ status, headers, bytes, sha256? }`.
 */
export function download(url, headers = {}, { hash = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers, agent: false }, (res) => {
      const hasher = hash ? createHash('sha256') : undefined
      let bytes = 0
      res.on('data', (chunk) => {
        bytes += chunk.length
        hasher?.update(chunk)
      })
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, bytes, sha256: hasher?.digest('hex') }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The `z…` (base58btc) sha2-256 multihash of a raw sha256 digest. */
export const zDigest = (sha256) => base58btc.encode(createDigest(0x12, sha256).bytes)

/**
 * Stores `size` bytes from `source()` (a function answering a fresh async iterable each call) in a
 * running strata: `POST /allocations` with the bearer token (the node's own DID as space), then the
 * presigned PUT with exactly its signed headers. Answers the `z…` digest.
 */
export async function uploadBlob(server, sha256, size, source) {
  const z = zDigest(sha256)
  const health = JSON.parse((await send(`${server.url}/healthz`, 'GET')).body.toString())
  const res = await send(
    `${server.url}/allocations`,
    'POST',
    { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    JSON.stringify({ space: health.did, blob: { digest: z, size } }),
  )
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`POST /allocations: ${res.status} ${res.body}`)
  const allocation = JSON.parse(res.body.toString())
  if (allocation.allocated) {
    const put = await send(allocation.url, 'PUT', allocation.headers, source())
    if (put.status !== 201 && put.status !== 200) throw new Error(`presigned PUT: ${put.status} ${put.body}`)
  }
  return z
}

/** The flatfs `.data` file of `size` bytes under `<dataDir>/blobs` (the bytes strata serves). */
export async function findFlatfsFile(dataDir, size) {
  const root = join(dataDir, 'blobs')
  const found = []
  for (const shard of await readdir(root, { withFileTypes: true })) {
    if (!shard.isDirectory()) continue
    for (const file of await readdir(join(root, shard.name))) {
      if (!file.endsWith('.data')) continue
      const path = join(root, shard.name, file)
      if ((await stat(path)).size === size) found.push(path)
    }
  }
  if (found.length !== 1)
    throw new Error(`expected one ${size}-byte .data file under ${root}, found ${found.length}`)
  return found[0]
}
