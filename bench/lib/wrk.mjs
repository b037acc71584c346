// wrk (Debian's package, installed here when missing) as the HTTP load generator: a C program in
// its own process, so the generator is not the bench's event loop. `runWrk` runs it once with
// lib/wrk-report.lua (random seeded ranges, or whole-blob GETs), reads the script's JSON summary and
// measures, over the same wall time, the CPU share of wrk itself and of the server under load.
import { execFile, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { ensureBinary } from './apt.mjs'
import { track } from './children.mjs'
import { CLOCK_TICKS, cpuMeter, measureWhenQuiet } from './proc-cpu.mjs'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))
export const WRK_SCRIPT = join(here, 'wrk-report.lua')

/** The wrk binary, installed when missing (`apt-get install -y wrk`); answers `{ path, version }`. */
export async function ensureWrk(log) {
  const path = await ensureBinary({
    what: 'wrk',
    candidates: ['/usr/bin/wrk', '/usr/local/bin/wrk'],
    packages: ['wrk'],
    log,
  })
  // `wrk -v` prints its version and the usage, and exits 1
  const output = await run(path, ['-v']).catch((error) => error)
  const version = /wrk (\S+)/.exec(String(output.stdout))?.[1] ?? 'unknown'
  return { path, version }
}

/** wrk's threads for `connections`: one per connection up to the machine's 2 cores. */
export const threadsFor = (connections) => Math.min(2, connections)

/**
 * One wrk run against `url` (or `server.url` + `path`) for `seconds` (whole seconds) with
 * `connections` connections: with `range` > 0 every request asks a random `range`-byte slice of a
 * `size`-byte blob (sequence fixed by `seed`), else the whole blob. Other people's jobs on a
 * shared machine: the run waits for a quiet machine and is made again while others were busy
 * during it (lib/proc-cpu.mjs `measureWhenQuiet`, `recover()` after a failed attempt; `quiet:
 * false` for a warm-up); `log` says so. `server` (`{ pid, tree? }`) is the process whose CPU share
 * is measured beside wrk's. Throws when wrk fails, reports socket errors or any status >= 400, or
 * the bytes a response are not the range (+ headers) or the whole blob. Answers `{ rps, requests,
 * seconds, bytes, mibps, bytesPerRequest, latencyMs: { mean, p50, p90, p99, max }, errors, cpu: {
 * wrk, server, others }, threads, attempts }`: `errors` are wrk's counts (socket errors; `status` =
 * responses >= 400), all 0 here; CPU shares: 1 = one core busy the whole run, `others` = every
 * other process on the machine meanwhile.
 */
export function runWrk({ quiet = true, recover, log, ...options }) {
  const measure = () => runWrkOnce(options)
  if (!quiet)
    return measureWhenQuiet(measure, { wait: false, maxOthers: Number.POSITIVE_INFINITY, recover, log })
  return measureWhenQuiet(measure, { recover, log })
}

/** One wrk run as {@link runWrk} describes, without waiting for a quiet machine. */
async function runWrkOnce(options) {
  const { wrk, path, connections, seconds, size, range = 0, seed = 1, server, timeout } = options
  // read at each attempt: a server restarted by `recover` has a new URL
  const url = path === undefined ? options.url : `${server.url}${path}`
  const threads = threadsFor(connections)
  const args = [
    `-t${threads}`,
    `-c${connections}`,
    `-d${seconds}s`,
    `--timeout`,
    `${timeout ?? (range > 0 ? 5 : 10)}s`,
    '-s',
    WRK_SCRIPT,
    url,
    '--',
    String(size),
    String(range),
    String(seed),
  ]
  const meter = cpuMeter(server ? [{ label: 'server', pid: server.pid, tree: server.tree }] : [])
  const child = track(spawn(wrk.path, args, { stdio: ['ignore', 'pipe', 'pipe'] }))
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  const { seconds: wall, share, machine } = meter.stop()
  const line = stdout.split('\n').find((each) => each.startsWith('WRK_JSON '))
  if (code !== 0 || !line)
    throw new Error(`wrk ${args.join(' ')} exited ${code}: ${stderr.trim()} ${stdout.trim()}`.slice(0, 2000))
  const report = JSON.parse(line.slice('WRK_JSON '.length))
  const { errors } = report
  const socketErrors = errors.connect + errors.read + errors.write + errors.timeout
  if (socketErrors > 0 || errors.status > 0 || report.requests === 0)
    throw new Error(
      `wrk against ${url}: ${report.requests} requests, ${errors.status} with status >= 400, socket errors ${JSON.stringify(errors)}`,
    )
  // a server that ignored the Range header (200, whole blob) or sent short bodies shows here
  const bytesPerRequest = report.bytes / report.requests
  const expected = range > 0 ? range : size
  if (bytesPerRequest < expected || (range > 0 && bytesPerRequest > range + 4096))
    throw new Error(
      `wrk against ${url}: ${bytesPerRequest.toFixed(0)} bytes a response, expected ${expected}`,
    )
  const runSeconds = report.durationUs / 1e6
  const ms = (us) => us / 1000
  return {
    rps: report.requests / runSeconds,
    requests: report.requests,
    seconds: runSeconds,
    bytes: report.bytes,
    mibps: report.bytes / 2 ** 20 / runSeconds,
    bytesPerRequest,
    latencyMs: {
      mean: ms(report.latencyUs.mean),
      p50: ms(report.latencyUs.p50),
      p90: ms(report.latencyUs.p90),
      p99: ms(report.latencyUs.p99),
      max: ms(report.latencyUs.max),
    },
    errors: report.errors,
    cpu: {
      wrk: report.cpuTicks / CLOCK_TICKS / wall,
      server: share.server,
      // everything else busy on the machine meanwhile (colleagues' jobs, the bench process)
      others: Math.max(0, machine - share.server - report.cpuTicks / CLOCK_TICKS / wall),
    },
    threads,
  }
}
