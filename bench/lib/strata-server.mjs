// Child-process servers for the HTTP suites and a streaming node:http client for them:
// `startStrata` runs the built `strata serve` (apps/server/bin/strata.js) with env configuration on
// loopback, `startBareUpload` runs lib/bare-upload-server.mjs; `put`/`get` stream bodies with a
// `Content-Length` and never hold them; `peakRss` samples a child's VmRSS from /proc.
// Build first: pnpm exec turbo run build.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { base58btc } from 'multiformats/bases/base58'
import { create as createDigest } from 'multiformats/hashes/digest'
import { track, trackDir } from './children.mjs'
import { MiB } from './measure.mjs'

const here = dirname(fileURLToPath(import.meta.url))
/** The `strata` CLI the bench starts: this checkout's, or `STRATA_BENCH_BIN` (another build). */
export const STRATA_BIN =
  process.env.STRATA_BENCH_BIN ?? join(here, '..', '..', 'apps', 'server', 'bin', 'strata.js')
const STRATA_BUILT = join(dirname(STRATA_BIN), '..', 'dist', 'cli', 'index.js')
const BARE_SERVER = join(here, 'bare-upload-server.mjs')

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** A fresh temporary directory under `STRATA_BENCH_DIR` (default: the OS temp dir). */
export const tempDir = (label) =>
  mkdtemp(join(process.env.STRATA_BENCH_DIR ?? tmpdir(), `strata-bench-${label}-`)).then(trackDir)

/** The environment without any STRATA_* variable (a developer's config must not leak into a child). */
function cleanEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('STRATA_')))
  return { ...env, ...extra }
}

/** A TCP port free on 127.0.0.1 right now (the child binds it a moment later; retried if taken). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/** Stops a child by its pid: SIGTERM, SIGKILL after `graceMs`; resolves once it has exited. */
async function stopChild(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  process.kill(child.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
  }, graceMs)
  await exited
  clearTimeout(timer)
}

/** Keeps the last lines a child wrote (for error messages) and drains its pipes. */
function captureOutput(child) {
  const lines = []
  const keep = (line) => {
    lines.push(line)
    if (lines.length > 50) lines.shift()
  }
  createInterface({ input: child.stdout }).on('line', keep)
  createInterface({ input: child.stderr }).on('line', keep)
  return lines
}

/**
 * Starts `strata serve` as a child process on 127.0.0.1 with `env` (STRATA_* settings on top of
 * filesystem defaults), log level `warn`, its data in a fresh temp dir (its working directory, so
 * no strata.config.json is picked up). The `listening` line is logged at `info`, so at `warn` the
 * port is chosen here (a free one) and readiness is polled on `/healthz`.
 * Answers `{ url, pid, token, did, dataDir, stop() }`; `stop()` ends the child and removes the dir.
 */
export async function startStrata(env = {}, { attempts = 3 } = {}) {
  if (!existsSync(STRATA_BUILT)) throw new Error(`${STRATA_BUILT} is missing: run pnpm exec turbo run build`)
  const dataDir = await tempDir('strata')
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const child = track(
        spawn(process.execPath, [STRATA_BIN, 'serve'], {
          cwd: dataDir,
          env: cleanEnv({
            STRATA_STORAGE_BACKEND: 'filesystem',
            STRATA_STORAGE_DATA_DIR: dataDir,
            STRATA_SERVER_HOST: '127.0.0.1',
            STRATA_SERVER_PORT: String(port),
            STRATA_LOG_LEVEL: 'warn',
            ...env,
          }),
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      )
      const output = captureOutput(child)
      const url = `http://127.0.0.1:${port}`
      try {
        const did = await waitHealthy(child, url, output)
        const token = (await readFile(join(dataDir, 'auth-token'), 'utf8')).trim()
        const stop = async () => {
          await stopChild(child)
          await rm(dataDir, { recursive: true, force: true })
        }
        return { url, pid: child.pid, token, did, dataDir, child, stop }
      } catch (error) {
        await stopChild(child, 2000)
        const taken = output.some((line) => line.includes('EADDRINUSE'))
        if (!taken || attempt >= attempts) throw error
      }
    }
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true })
    throw error
  }
}

/** Polls `GET /healthz` until it answers 200 (the node's DID), the child exits, or 60 s pass. */
async function waitHealthy(child, url, output) {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`strata serve exited (${child.exitCode ?? child.signalCode}): ${output.join('\n')}`)
    const answer = await send(`${url}/healthz`, 'GET').catch(() => undefined)
    if (answer?.status === 200) return JSON.parse(answer.body.toString()).did
    if (Date.now() > deadline) throw new Error(`strata serve not healthy in 60 s: ${output.join('\n')}`)
    await sleep(100)
  }
}

/**
 * Starts lib/bare-upload-server.mjs (the unverified baseline) as a child process writing under a
 * fresh temp dir. Answers `{ url, pid, dir, stop() }`.
 */
export async function startBareUpload() {
  const dir = await tempDir('bare')
  const child = track(spawn(process.execPath, [BARE_SERVER, dir], { stdio: ['ignore', 'pipe', 'pipe'] }))
  const output = []
  child.stderr.on('data', (chunk) => output.push(chunk.toString()))
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bare server: no listening line: ${output.join('')}`)),
        30_000,
      )
      child.once('exit', (code) => reject(new Error(`bare server exited (${code}): ${output.join('')}`)))
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          const parsed = JSON.parse(line)
          if (parsed.msg === 'listening') {
            clearTimeout(timer)
            resolve(parsed.url)
          }
        } catch {}
      })
    })
    const stop = async () => {
      await stopChild(child)
      await rm(dir, { recursive: true, force: true })
    }
    return { url, pid: child.pid, dir, child, stop }
  } catch (error) {
    await stopChild(child, 2000)
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

/** Sends a request (body a string/buffer, or an async-iterable source streamed); answers the response read whole. */
export function send(url, method, headers = {}, body = undefined) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) req.end(body)
    else pipeline(Readable.from(body), req).catch(reject)
  })
}

/** Streams `source()` to `url` with `PUT` and the given headers (which carry `content-length`); throws unless 2xx. */
export async function put(url, headers, source) {
  const answer = await send(url, 'PUT', headers, source())
  if (answer.status < 200 || answer.status > 299)
    throw new Error(`PUT ${new URL(url).pathname}: ${answer.status} ${answer.body.toString().slice(0, 300)}`)
  return answer
}

/** GETs `url`, drains the body as it arrives (never held); answers the byte count; throws unless 200. */
export function get(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false }, (res) => {
      let bytes = 0
      res.on('data', (chunk) => {
        bytes += chunk.length
      })
      res.on('end', () =>
        res.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET ${url}: ${res.statusCode}`)),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The `z…` (base58btc) sha2-256 multihash of a byte source, hashed in one pass (never held). */
export async function zDigestOf(source) {
  const hash = createHash('sha256')
  for await (const chunk of source()) hash.update(chunk)
  return base58btc.encode(createDigest(0x12, hash.digest()).bytes)
}

/** `POST /allocations` on a strata server; answers `{ url, headers }` of the presigned PUT. */
export async function allocate(server, z, size) {
  const answer = await send(
    `${server.url}/allocations`,
    'POST',
    { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    JSON.stringify({ space: server.did, blob: { digest: z, size } }),
  )
  if (answer.status !== 201) throw new Error(`POST /allocations: ${answer.status} ${answer.body.toString()}`)
  return JSON.parse(answer.body.toString())
}

/** The verified strata upload: allocate, then stream `source()` to the presigned URL (201 expected). */
export async function strataUpload(server, z, size, source) {
  const allocation = await allocate(server, z, size)
  const answer = await put(allocation.url, allocation.headers, source)
  if (answer.status !== 201) throw new Error(`PUT /blob/${z}: ${answer.status} (expected 201)`)
}

/** `DELETE /blob/<z>` on a strata server (bearer); throws unless 204. */
export async function strataDelete(server, z) {
  const answer = await send(`${server.url}/blob/${z}`, 'DELETE', { authorization: `Bearer ${server.token}` })
  if (answer.status !== 204) throw new Error(`DELETE /blob/${z}: ${answer.status} ${answer.body.toString()}`)
}

/** The unverified bare-Node upload of `source()` (`size` bytes) as `<name>`. */
export const bareUpload = (server, name, size, source) =>
  put(`${server.url}/${name}`, { 'content-length': String(size) }, source)

/** Removes `<name>` from the bare server. */
export const bareDelete = (server, name) => send(`${server.url}/${name}`, 'DELETE')

/** True where the RSS of a process can be read from /proc (Linux). */
export const canReadRss = process.platform === 'linux' && existsSync('/proc/self/status')

/** The VmRSS of `pid` in bytes. */
export function rssOf(pid) {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no VmRSS for ${pid}`)
  return Number(match[1]) * 1024
}

/** Samples the RSS of `pid` every `everyMs` while `task` runs; answers `{ result, peak, ms }`. */
export async function peakRss(pid, task, everyMs = 50) {
  let peak = rssOf(pid)
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid))
    } catch {}
  }, everyMs)
  const start = process.hrtime.bigint()
  try {
    const result = await task()
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    return { result, peak: Math.max(peak, rssOf(pid)), ms }
  } finally {
    clearInterval(timer)
  }
}

/** The idle RSS of `pid`: the largest of 10 samples 50 ms apart, after `settleMs` of quiet. */
export async function idleRss(pid, settleMs = 1000) {
  await sleep(settleMs)
  let idle = 0
  for (let i = 0; i < 10; i++) {
    idle = Math.max(idle, rssOf(pid))
    await sleep(50)
  }
  return idle
}

/** Bytes as MiB, for notes. */
export const mib = (bytes) => (bytes / MiB).toFixed(1)
