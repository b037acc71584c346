// CPU time of processes from /proc (Linux): utime + stime of a pid (all its threads) and, for
// servers with worker processes (nginx), of its descendants too. Used to show who was the bound of
// a load test: a server near 100% of a core while the load generator has room is the server's limit.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'

/** True where /proc/<pid>/stat can be read (Linux). */
export const canReadCpu = process.platform === 'linux' && existsSync('/proc/self/stat')

/** Clock ticks per second of /proc times (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** `[ppid, utime + stime]` of `pid` from /proc/<pid>/stat (fields after the `(comm)`), or undefined. */
function statOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15
    return [Number(fields[1]), Number(fields[11]) + Number(fields[12])]
  } catch {
    return undefined
  }
}

/** The pids whose parent chain reaches `pid` (nginx's workers under its master). */
function descendantsOf(pid) {
  const parents = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = statOf(entry)
    if (stat) parents.set(Number(entry), stat[0])
  }
  const found = []
  let frontier = [pid]
  while (frontier.length > 0) {
    const next = []
    for (const [child, parent] of parents) if (frontier.includes(parent)) next.push(child)
    found.push(...next)
    frontier = next
  }
  return found
}

/** Busy (non-idle, non-iowait) ticks of the whole machine, from the `cpu` line of /proc/stat. */
function machineBusyTicks() {
  try {
    const [line] = readFileSync('/proc/stat', 'utf8').split('\n')
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is in user already)
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number)
    return user + nice + system + irq + softirq + steal
  } catch {
    return Number.NaN
  }
}

/**
 * Starts a CPU meter over `targets` (`[{ label, pid, tree? }]`); `stop()` answers
 * `{ seconds, share: { label: CPU seconds ÷ wall seconds }, machine }` (1 = one core busy the
 * whole time; `machine`: all processes together, out of the number of cores). The descendants of
 * a `tree` target are looked up once, at the start.
 */
export function cpuMeter(targets) {
  const start = process.hrtime.bigint()
  const pidsOf = new Map(
    targets.map(({ label, pid, tree }) => [label, tree ? [pid, ...descendantsOf(pid)] : [pid]]),
  )
  const sum = (pids) => pids.reduce((total, pid) => total + (statOf(pid)?.[1] ?? 0), 0)
  const before = new Map([...pidsOf].map(([label, pids]) => [label, sum(pids)]))
  const machineBefore = machineBusyTicks()
  return {
    stop() {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      const share = {}
      for (const [label, pids] of pidsOf)
        share[label] = (sum(pids) - before.get(label)) / CLOCK_TICKS / seconds
      const machine = (machineBusyTicks() - machineBefore) / CLOCK_TICKS / seconds
      return { seconds, share, machine }
    },
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Busy cores under which the machine counts as quiet (the servers under test idle meanwhile). */
export const QUIET_BUSY = 0.3

/** How long a run waits for a quiet machine: `STRATA_BENCH_QUIET_WAIT` seconds (default 30). */
export const QUIET_WAIT_MS = Number(process.env.STRATA_BENCH_QUIET_WAIT ?? 30) * 1000

/**
 * Waits until the machine is quiet: busy below `maxBusy` cores over a `windowMs` sample (the
 * servers under test are idle between runs, so what is busy is someone else: colleagues' tests on
 * a shared machine). Gives up after `timeoutMs` (default {@link QUIET_WAIT_MS}) and goes on.
 * Answers the last busy figure (cores).
 */
export async function waitForQuiet({
  maxBusy = QUIET_BUSY,
  windowMs = 300,
  timeoutMs = QUIET_WAIT_MS,
  log,
} = {}) {
  const deadline = Date.now() + timeoutMs
  let warned = false
  for (;;) {
    const before = machineBusyTicks()
    const start = process.hrtime.bigint()
    await sleep(windowMs)
    const busy = (machineBusyTicks() - before) / CLOCK_TICKS / (Number(process.hrtime.bigint() - start) / 1e9)
    if (!(busy > maxBusy)) return busy
    if (Date.now() > deadline) {
      log?.(`  machine still busy (${busy.toFixed(2)} cores) after ${timeoutMs / 1000} s: measuring anyway`)
      return busy
    }
    if (!warned)
      log?.(`  machine busy (${busy.toFixed(2)} cores, not the bench): waiting for it to calm down`)
    warned = true
  }
}

/**
 * Runs `measure()` (answering a result with `cpu.others`, the cores other processes used during
 * it) once the machine is quiet, and again, up to `attempts` times in all, while others used more
 * than `maxOthers` cores during it (unless no quiet moment came in the wait), or it threw (a busy shared machine also runs out of TCP
 * memory now and then: connections reset). Answers the result with the least `others`, plus
 * `attempts`; `discard(result)` is awaited for every other result (e.g. to delete what it
 * uploaded), `recover()` after a failed attempt (e.g. to restart a server someone killed). Throws
 * the last error when every attempt threw. `wait: false` skips the waiting (warm-ups).
 */
export async function measureWhenQuiet(
  measure,
  { attempts = 3, maxOthers = 0.5, wait = true, discard, recover, log } = {},
) {
  let best
  let failure
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const busy = wait ? await waitForQuiet({ log }) : 0
    let result
    try {
      result = await measure()
    } catch (error) {
      failure = error
      log?.(`  run failed (${String(error.message).slice(0, 300)}): measuring it again`)
      await recover?.()
      continue
    }
    if (!best || result.cpu.others < best.cpu.others) {
      if (best) await discard?.(best)
      best = { ...result, attempts: attempt }
    } else await discard?.(result)
    // measured again only if a quiet moment came and was spoilt; a machine busy all along stays so
    if (result.cpu.others <= maxOthers || busy > QUIET_BUSY) break
    log?.(`  other processes used ${result.cpu.others.toFixed(2)} cores during the run: measuring it again`)
  }
  if (!best) throw failure
  return best
}
