// Random 64 KiB ranges of one 64 MiB blob (filesystem backend), driven by wrk in its own process
// (lib/wrk.mjs: 1 thread at c1, 2 at c16/c64; every server gets the same seeded range sequence in a
// round) at concurrency 1, 16 and 64: `strata serve` (log level warn) against the Node ceiling
// (servers/node-ceiling.mjs: one open fd, one positioned read, `res.end(buffer)`), the bare
// `node:http` + `createReadStream` server and nginx (1 worker, sendfile), all on the same bytes
// (lib/download-fixture.mjs). A second strata at log level info (a request log line per request,
// to a file) measures what logging costs. Servers alternate run by run, round by round; medians of
// req/s, p50 and p99 (wrk's histogram), and the CPU share of each server and of wrk during its runs,
// so a reader sees whether the server or the generator was the bound. Below 0.9x the ceiling's
// req/s at c16, one strata run is profiled (`node --cpu-prof`) and the top self time reported.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { topSelfTime } from '../lib/cpuprofile.mjs'
import { startDownloadFixture } from '../lib/download-fixture.mjs'
import { describe, pct, progress, summarise } from '../lib/load-report.mjs'
import { MiB } from '../lib/measure.mjs'
import { runWrk } from '../lib/wrk.mjs'

export const name = 'http-ranges'
export const description =
  'random 64 KiB ranges through wrk: strata vs the Node ceiling, bare createReadStream and nginx (1 worker)'

const RANGE = 64 * 1024
const BLOB = 64 * MiB
const CONCURRENCY = [1, 16, 64]
/** strata ÷ ceiling req/s (c16) under which strata is profiled: the hot-path target is 0.9. */
const PROFILE_BELOW = 0.9
/** wrk's CPU a thread above which the generator may be the bound (1 = a core). */
const GENERATOR_BUSY = 0.9

/** Profiles strata (restarted with --cpu-prof) under one wrk c16 run; answers the summary. */
async function profileStrata(fixture, blob, seconds, log) {
  const profiled = await fixture.restartStrata({
    label: 'strata-profiled',
    nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${fixture.dirs.profiles}`],
  })
  const measured = await runWrk({
    wrk: fixture.wrk,
    url: `${profiled.url}/blob/${blob.z}`,
    connections: 16,
    seconds,
    size: blob.size,
    range: RANGE,
    server: profiled,
    log,
  })
  await fixture.stopServer(profiled) // SIGTERM: graceful exit, V8 writes the profile
  const [file] = (await readdir(fixture.dirs.profiles)).filter((each) => each.endsWith('.cpuprofile'))
  if (!file) {
    log('  no .cpuprofile written')
    return undefined
  }
  const profile = {
    rpsWhileProfiled: measured.rps,
    ...(await topSelfTime(join(fixture.dirs.profiles, file), 20)),
  }
  log(`  self time by area (%): ${JSON.stringify(profile.byCategory)}`)
  log('  top self time (ms, %):')
  for (const entry of profile.top)
    log(
      `    ${String(entry.selfMs).padStart(6)} ${String(entry.percent).padStart(5)}%  ${entry.name}  ${entry.location}`,
    )
  return profile
}

export async function run({ quick, log }) {
  const rounds = quick ? 2 : 3
  const seconds = quick ? 2 : 4
  const fixture = await startDownloadFixture({
    sizes: [BLOB],
    strataInfo: true,
    ceiling: true,
    range: RANGE,
    log,
  })
  try {
    const { servers, wrk } = fixture
    const [blob] = fixture.blobs
    const order = [servers.strata, servers.ceiling, servers.bare, servers.nginx, servers.strataInfo]
    const once = (server, connections, runSeconds, seed, quiet = true) =>
      runWrk({
        wrk,
        path: `/blob/${blob.z}`,
        connections,
        seconds: runSeconds,
        size: blob.size,
        range: RANGE,
        seed,
        server,
        quiet,
        recover: fixture.revive,
        log,
      })
    const rows = []
    const ratios = {}
    const details = {}
    for (const connections of CONCURRENCY) {
      for (const server of order) await once(server, connections, 1, 99, false) // warm-up, not counted
      const runs = Object.fromEntries(order.map((server) => [server.label, []]))
      for (let round = 0; round < rounds; round++) {
        // rotate who goes first; in a round every server gets the same range sequence (seed)
        const turn = [...order.slice(round % order.length), ...order.slice(0, round % order.length)]
        for (const server of turn)
          runs[server.label].push(await once(server, connections, seconds, round + 1))
        log(
          `  c${connections} round ${round + 1}: ${progress(order, runs, (last) => `${last.rps.toFixed(0)} req/s`)}`,
        )
      }
      const cell = Object.fromEntries(order.map((server) => [server.label, summarise(runs[server.label])]))
      const s = cell.strata
      const c = cell['node-ceiling']
      const n = cell.nginx
      const b = cell['bare-node']
      const info = cell['strata (log info)']
      const busiest = Math.max(...Object.values(cell).map((each) => each.cpuWrk / each.threads))
      const key = `c${connections}`
      ratios[key] = {
        strataVsCeiling: s.rps / c.rps,
        strataVsNginx: s.rps / n.rps,
        strataVsBareNode: s.rps / b.rps,
        p99VsCeiling: s.p99 / c.p99,
        logInfoVsWarn: info.rps / s.rps,
      }
      details[key] = {
        summary: cell,
        wrkBusiestThreadShare: busiest,
        generatorMayBind: busiest > GENERATOR_BUSY,
        runs,
      }
      const row = (label, server, note) => ({
        label: `${label}: random 64 KiB ranges, c${connections}`,
        median: cell[server].rps,
        samples: runs[server].map((run) => run.rps),
        unit: 'req/s',
        note: `${note}${describe(cell[server])}`,
      })
      rows.push(row('nginx (1 worker, sendfile)', 'nginx', 'baseline; '))
      rows.push(row('Node ceiling (fd + fs.read + res.end)', 'node-ceiling', 'Node ceiling; '))
      rows.push(row('bare node:http + createReadStream', 'bare-node', ''))
      rows.push(
        row(
          'strata (log warn)',
          'strata',
          `${ratios[key].strataVsCeiling.toFixed(2)}x ceiling, ${ratios[key].strataVsNginx.toFixed(2)}x nginx, ` +
            `p99 ${ratios[key].p99VsCeiling.toFixed(2)}x ceiling's; `,
        ),
      )
      rows.push(
        row(
          'strata (log info)',
          'strata (log info)',
          `${ratios[key].logInfoVsWarn.toFixed(2)}x strata at warn; `,
        ),
      )
      if (busiest > GENERATOR_BUSY)
        rows.at(-1).note +=
          `; wrk's busiest cell used ${pct(busiest)} of a core a thread: the generator may bind the fastest server`
    }

    let profile
    if (ratios.c16.strataVsCeiling < PROFILE_BELOW) {
      log(
        `  strata at ${ratios.c16.strataVsCeiling.toFixed(2)}x the ceiling at c16 (< ${PROFILE_BELOW}): profiling one c16 run`,
      )
      profile = await profileStrata(fixture, blob, seconds * 2, log)
      if (profile) {
        const areas = Object.entries(profile.byCategory)
          .filter(([area]) => area !== 'module loading')
          .slice(0, 6)
          .map(([area, percent]) => `${area} ${percent}%`)
          .join(', ')
        rows.find((row) => row.label === 'strata (log warn): random 64 KiB ranges, c16').note +=
          `; profile (c16, self time): ${areas}`
      }
    }
    return {
      parameters: {
        blobMiB: BLOB / MiB,
        rangeBytes: RANGE,
        concurrency: CONCURRENCY,
        rounds,
        secondsPerRun: seconds,
        generator: `wrk ${wrk.version} (own process; 1 thread at c1, 2 threads above), lib/wrk-report.lua`,
        nginx: `${fixture.nginx.version}, 1 worker process, sendfile on, access_log off`,
        cpuShare: 'CPU seconds ÷ wall seconds of the run (1 = one core busy); server = pid (+ nginx worker)',
        latency: "wrk's histogram (its coordinated-omission correction included), ms",
      },
      ratios,
      profile,
      details,
      rows,
    }
  } finally {
    await fixture.stop()
  }
}
