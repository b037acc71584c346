/**
 * The real `strata serve` (the BUILT CLI, `bin/strata.js`) as a child process, for the tests that
 * kill it, restart it, load it or sample its memory. Only the given `STRATA_*` settings reach it
 * (a developer's own must not leak in); it listens on a free loopback port (ready once `/healthz`
 * answers); its working directory is its data dir, so no `strata.config.json` is read.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The `strata` command of this repository (`apps/server/bin/strata.js`). */
export const STRATA_BIN = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'apps',
  'server',
  'bin',
  'strata.js',
)
const BIN = STRATA_BIN
const BUILT = join(dirname(BIN), '..', 'dist', 'cli', 'index.js')

/** The bearer token every child server of the tests is given. */
export const CHILD_TOKEN = 'child-server-test-token-0123456789'

/** Options for {@link startChild}. */
export interface ChildOptions {
  /** `storage.backend`. */
  backend: 'memory' | 'filesystem' | 's3'
  /** `storage.dataDir`, also the working directory. */
  dataDir: string
  /** More `STRATA_*` variables (e.g. the S3 endpoint and keys, a port to reuse). */
  env?: Record<string, string>
  /** Wraps the command, e.g. `['unshare', '-rm', '--', 'sh', '-c', '…']`; default none. */
  wrap?: (argv: string[]) => string[]
  /** Leave `server.authToken` unset, so the server generates `<dataDir>/auth-token` (default false). */
  generatedToken?: boolean
  /** Milliseconds to wait until it answers `/healthz` (default 30 s). */
  timeoutMs?: number
}

/** A running child server. */
export interface Child {
  /** `http://127.0.0.1:<port>`. */
  url: string
  /** The port it listens on (pass it as `STRATA_SERVER_PORT` to restart on the same one). */
  port: number
  pid: number
  /** The bearer token: {@link CHILD_TOKEN}, or the generated one. */
  token: string
  process: ChildProcess
  /** The last 200 lines it wrote (stdout and stderr), for failure messages. */
  output: string[]
  /** Its resident set size in bytes (`VmRSS`, Linux). */
  rss(): number
  /** Sends `signal` and resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** SIGTERM, SIGKILL after `graceMs` (default 15 s); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>
}

/**
 * Spawns `strata serve` and resolves once it listens.
 * @throws {Error} the CLI is not built, or the server exited / did not listen in time (with its output).
 */
export async function startChild(options: ChildOptions): Promise<Child> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run pnpm exec tsc -p tsconfig.build.json`)
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('STRATA_')),
  )
  Object.assign(env, {
    STRATA_STORAGE_BACKEND: options.backend,
    STRATA_STORAGE_DATA_DIR: options.dataDir,
    STRATA_SERVER_HOST: '127.0.0.1',
    ...(options.generatedToken ? {} : { STRATA_SERVER_AUTH_TOKEN: CHILD_TOKEN }),
    STRATA_LOG_LEVEL: 'warn',
    ...options.env,
  })
  const port = Number(options.env?.STRATA_SERVER_PORT ?? (await freePort()))
  env.STRATA_SERVER_PORT = String(port)
  const argv = [process.execPath, BIN, 'serve']
  const [command, ...args] = options.wrap ? options.wrap(argv) : argv
  const child = spawn(command as string, args, {
    cwd: options.dataDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const keep = (line: string) => {
    output.push(line)
    if (output.length > 200) output.splice(0, output.length - 200)
  }
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', keep)
  const url = `http://127.0.0.1:${port}`
  try {
    await waitUntilListening(url, child, output, options.timeoutMs ?? 30_000)
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    throw error
  }
  const pid = child.pid as number
  const token = options.generatedToken
    ? (await readFile(join(options.dataDir, 'auth-token'), 'utf8')).trim()
    : CHILD_TOKEN
  const running = () => child.exitCode === null && child.signalCode === null
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (running()) child.kill(signal)
    await exited
  }
  return {
    url,
    port: Number(new URL(url).port),
    pid,
    token,
    process: child,
    output,
    rss: () => rssOf(pid),
    kill,
    async stop(graceMs = 15_000) {
      if (!running()) return
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await kill('SIGTERM')
      clearTimeout(timer)
    },
  }
}

/** The VmRSS of `pid` in bytes (Linux `/proc`). */
export function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match?.[1]) throw new Error(`no VmRSS for ${pid}`)
  return Number(match[1]) * 1024
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Polls `GET /healthz` every 50 ms until it answers. @throws {Error} the child exited or the time ran out. */
async function waitUntilListening(
  url: string,
  child: ChildProcess,
  output: string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`strata serve exited (${child.exitCode ?? child.signalCode}):\n${output.join('\n')}`)
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
      await res.body?.cancel()
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`strata serve did not answer /healthz in ${timeoutMs} ms:\n${output.join('\n')}`)
}
