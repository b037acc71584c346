// Summaries of wrk runs for the HTTP suites' rows: medians of one server's runs in one cell
// (req/s, MiB/s, p50/p99 latency, CPU shares of server, wrk and everything else), and the note
// text that shows a reader who was busy, i.e. whether the server or the generator was the bound.
import { median } from './measure.mjs'

export const pct = (share) => `${Math.round(share * 100)}%`
export const ms = (value) => (value < 10 ? value.toFixed(2) : value.toFixed(1))

/** Medians over `runs` (answers of lib/wrk.mjs `runWrk`) of one server in one cell. */
export function summarise(runs) {
  const pick = (get) => median(runs.map(get))
  return {
    rps: pick((run) => run.rps),
    mibps: pick((run) => run.mibps),
    p50: pick((run) => run.latencyMs.p50),
    p99: pick((run) => run.latencyMs.p99),
    cpuServer: pick((run) => run.cpu.server),
    cpuWrk: pick((run) => run.cpu.wrk),
    cpuOthers: pick((run) => run.cpu.others),
    threads: runs[0].threads,
  }
}

/** `CPU: server 98%, wrk 35% (2 threads), others 4%` of a summary (1 core = 100%). */
export const cpuNote = (cell) =>
  `CPU: server ${pct(cell.cpuServer)}, wrk ${pct(cell.cpuWrk)} (${cell.threads} thread${cell.threads > 1 ? 's' : ''}), others ${pct(cell.cpuOthers)}`

/** Latency and CPU of a summary, for a row note. */
export const describe = (cell) => `p50 ${ms(cell.p50)} ms, p99 ${ms(cell.p99)} ms; ${cpuNote(cell)}`

/** One progress line of a round: each server's last run. */
export const progress = (servers, runs, value) =>
  servers
    .map((server) => {
      const last = runs[server.label].at(-1)
      return `${server.label} ${value(last)} p99 ${ms(last.latencyMs.p99)} ms (cpu ${pct(last.cpu.server)}, wrk ${pct(last.cpu.wrk)})`
    })
    .join('; ')
