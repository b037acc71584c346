// Whole-blob HTTP downloads from the filesystem backend, driven by wrk in its own process
// (lib/wrk.mjs): `strata serve` (log level warn) against nginx (1 worker process, sendfile) and the
// bare `node:http` + `createReadStream` server, all three on the same bytes (lib/download-fixture.mjs
// checks each server's full body and a range by sha-256 first), 16 and 64 MiB blobs, concurrency 1
// and 4. MiB/s from wrk's transfer total over its run time; servers alternate run by run, round by
// round, medians compared; the CPU share of server and wrk is in every row's note.
import { startDownloadFixture } from '../lib/download-fixture.mjs'
import { describe, progress, summarise } from '../lib/load-report.mjs'
import { MiB } from '../lib/measure.mjs'
import { runWrk } from '../lib/wrk.mjs'

export const name = 'http-download'
export const description =
  'strata full-blob GET /blob (filesystem) through wrk vs nginx (1 worker, sendfile) vs bare node:http + createReadStream'

const SIZES = [16 * MiB, 64 * MiB]
const CONCURRENCY = [1, 4]

export async function run({ quick, log }) {
  const rounds = quick ? 2 : 3
  const seconds = quick ? 2 : 3
  const fixture = await startDownloadFixture({ sizes: SIZES, range: 64 * 1024, log })
  try {
    const { servers, wrk } = fixture
    const order = [servers.strata, servers.nginx, servers.bare]
    const rows = []
    const ratios = {}
    const details = {}
    for (const blob of fixture.blobs) {
      for (const connections of CONCURRENCY) {
        const once = (server, runSeconds, quiet = true) =>
          runWrk({
            wrk,
            path: `/blob/${blob.z}`,
            connections,
            seconds: runSeconds,
            size: blob.size,
            server,
            quiet,
            recover: fixture.revive,
            log,
          })
        for (const server of order) await once(server, 1, false) // warm-up, not counted
        const runs = Object.fromEntries(order.map((server) => [server.label, []]))
        const label = `full ${blob.size / MiB} MiB GET, c${connections}`
        for (let round = 0; round < rounds; round++) {
          const turn = [...order.slice(round % order.length), ...order.slice(0, round % order.length)]
          for (const server of turn) runs[server.label].push(await once(server, seconds))
          log(
            `  ${label} round ${round + 1}: ${progress(order, runs, (last) => `${last.mibps.toFixed(0)} MiB/s`)}`,
          )
        }
        const cell = Object.fromEntries(order.map((server) => [server.label, summarise(runs[server.label])]))
        const key = `full${blob.size / MiB}MiB_c${connections}`
        ratios[key] = {
          vsNginx: cell.strata.mibps / cell.nginx.mibps,
          vsBareNode: cell.strata.mibps / cell['bare-node'].mibps,
        }
        details[key] = { summary: cell, runs }
        const row = (who, server, note) => ({
          label: `${who}: ${label}`,
          median: cell[server].mibps,
          samples: runs[server].map((run) => run.mibps),
          note: `${note}${describe(cell[server])}`,
        })
        rows.push(row('nginx (1 worker, sendfile)', 'nginx', 'baseline; '))
        rows.push(row('bare node:http + createReadStream', 'bare-node', 'Node baseline; '))
        rows.push(
          row(
            'strata (log warn)',
            'strata',
            `${ratios[key].vsNginx.toFixed(2)}x nginx, ${ratios[key].vsBareNode.toFixed(2)}x bare-node; `,
          ),
        )
      }
    }
    return {
      parameters: {
        sizesMiB: SIZES.map((size) => size / MiB),
        concurrency: CONCURRENCY,
        rounds,
        secondsPerRun: seconds,
        generator: `wrk ${wrk.version} (own process; 1 thread at c1, 2 at c4), lib/wrk-report.lua`,
        nginx: `${fixture.nginx.version}, 1 worker process, sendfile on, access_log off`,
        strataLogLevel: 'warn',
      },
      ratios,
      details,
      rows,
    }
  } finally {
    await fixture.stop()
  }
}
