// HTTP downloads from the filesystem backend: `strata serve` against nginx (Debian package,
// installed here when missing, ONE worker process to compare with single-threaded Node, sendfile)
// and against a bare `node:http` + `fs.createReadStream` server (the Node ceiling), all three child
// processes on loopback serving the SAME bytes (nginx and bare-node read hard links to the flatfs
// `.data` files strata stored). Full-blob downloads (MiB/s, concurrency 1 and 4, a streaming
// node:http client) and random 64 KiB ranges (autocannon, concurrency 1 and 16: requests/s, p50/p99
// latency), interleaved server by server, round by round, medians compared. strata runs at log
// level `warn`; a second strata at the default `info` (one request log line per request, to a
// file) measures what request logging costs on ranged GETs. Below 0.7x nginx on ranged GETs, one
// ranged run is profiled (`node --cpu-prof`) and the top self-time functions are reported.
import { createHash, randomInt } from 'node:crypto'
import { link, mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { topSelfTime } from '../lib/cpuprofile.mjs'
import { hashStream, MiB, median, patternSource } from '../lib/measure.mjs'
import { ensureNginx, startNginx } from '../lib/nginx.mjs'
import { download, findFlatfsFile, startBareNode, startStrata, uploadBlob } from '../lib/servers.mjs'

export const name = 'http-download'
export const description =
  'strata GET /blob (filesystem) vs nginx (1 worker, sendfile) vs bare node:http + createReadStream'

const RANGE = 64 * 1024
/** strata÷baseline under which the ranged GETs are profiled (issue: below 0.7x nginx). */
const PROFILE_BELOW = 0.7

const sha256Hex = (buffer) => createHash('sha256').update(buffer).digest('hex')

/** The bytes `start..end` (inclusive) of `file`. */
async function slice(file, start, end) {
  const handle = await open(file)
  try {
    const buffer = Buffer.alloc(end - start + 1)
    await handle.read(buffer, 0, buffer.length, start)
    return buffer
  } finally {
    await handle.close()
  }
}

/** Checks once per server and blob that the full body and one random range hash-match the file. */
async function verify(server, blob) {
  const full = await download(`${server.url}/blob/${blob.z}`, {}, { hash: true })
  if (full.status !== 200 || full.bytes !== blob.size || full.sha256 !== blob.sha256)
    throw new Error(
      `${server.label}: full GET of ${blob.z}: ${full.status}, ${full.bytes} bytes, hash mismatch`,
    )
  const start = randomInt(0, blob.size - RANGE)
  const end = start + RANGE - 1
  const part = await download(
    `${server.url}/blob/${blob.z}`,
    { range: `bytes=${start}-${end}` },
    { hash: true },
  )
  const expected = sha256Hex(await slice(blob.file, start, end))
  if (
    part.status !== 206 ||
    part.sha256 !== expected ||
    part.headers['content-range'] !== `bytes ${start}-${end}/${blob.size}`
  )
    throw new Error(
      `${server.label}: range ${start}-${end}: ${part.status} ${part.headers['content-range']}, hash ${part.sha256 === expected ? 'ok' : 'mismatch'}`,
    )
}

/** `connections` concurrent full GETs of `blob`; answers MiB/s over all of them. */
async function fullDownload(server, blob, connections) {
  const start = process.hrtime.bigint()
  const answers = await Promise.all(
    Array.from({ length: connections }, () => download(`${server.url}/blob/${blob.z}`)),
  )
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  for (const answer of answers)
    if (answer.status !== 200 || answer.bytes !== blob.size)
      throw new Error(`${server.label}: full GET answered ${answer.status}, ${answer.bytes} bytes`)
  return (connections * blob.size) / MiB / seconds
}

/**
 * autocannon for `duration` s at `connections`, every request a fresh random (unaligned) 64 KiB
 * `Range` of `blob`. Answers `{ rps, p50, p99, mibps, non2xx, errors }` (latencies in ms).
 */
async function rangedRun(server, blob, connections, duration) {
  const result = await autocannon({
    url: `${server.url}/blob/${blob.z}`,
    connections,
    duration,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          const start = randomInt(0, blob.size - RANGE + 1)
          return { ...request, headers: { ...request.headers, range: `bytes=${start}-${start + RANGE - 1}` } }
        },
      },
    ],
  })
  const non2xx = result.non2xx
  const errors = result.errors + result.timeouts
  if (non2xx > 0 || errors > 0 || result.requests.total === 0)
    throw new Error(
      `${server.label}: ranged run: ${non2xx} non-2xx, ${errors} errors/timeouts, ${result.requests.total} requests`,
    )
  const rps = result.requests.total / duration
  return {
    rps,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mibps: (rps * RANGE) / MiB,
    bytesPerRequest: result.throughput.total / result.requests.total,
  }
}

const fmt = (value) => value.toFixed(2)

export async function run({ quick, log }) {
  const sizes = (quick ? [16, 64] : [64, 256]).map((mib) => mib * MiB)
  const fullRounds = quick ? 3 : 5
  const rangedRounds = quick ? 2 : 3
  const duration = quick ? 2 : 5
  const base = await mkdtemp(join(process.env.STRATA_BENCH_DIR ?? tmpdir(), 'strata-bench-http-'))
  const dirs = {
    strata: join(base, 'strata'),
    strataInfo: join(base, 'strata-info'),
    root: join(base, 'files'),
    nginx: join(base, 'nginx'),
    logs: join(base, 'logs'),
    profiles: join(base, 'profiles'),
  }
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true })
  const running = []
  const started = async (label, promise) => {
    const server = { ...(await promise), label }
    running.push(server)
    log(`  ${label}: pid ${server.pid}, ${server.url}`)
    return server
  }
  const stopServer = async (server) => {
    await server.stop()
    running.splice(running.indexOf(server), 1)
  }
  try {
    const nginx = await ensureNginx(log)
    const strata = await started(
      'strata',
      startStrata({ dataDir: dirs.strata, logDir: dirs.logs, logLevel: 'warn' }),
    )
    const strataInfo = await started(
      'strata (log info)',
      startStrata({ dataDir: dirs.strataInfo, logDir: dirs.logs, label: 'strata-info', logLevel: 'info' }),
    )

    // the blobs: uploaded through strata, then hard-linked (same inode, same page cache) under
    // their z-digest for nginx and bare-node
    const blobs = []
    for (const size of sizes) {
      const source = patternSource(size)
      const sha256 = await hashStream(source())
      const uploadStart = Date.now()
      const z = await uploadBlob(strata, sha256, size, source)
      log(
        `  uploaded ${size / MiB} MiB to strata in ${((Date.now() - uploadStart) / 1000).toFixed(1)} s: ${z}`,
      )
      const file = await findFlatfsFile(dirs.strata, size)
      await link(file, join(dirs.root, z))
      blobs.push({ size, z, sha256: sha256.toString('hex'), file, source })
    }
    // the info-level strata holds the same bytes (for the ranged runs only)
    const ranged = blobs.at(-1)
    await uploadBlob(strataInfo, Buffer.from(ranged.sha256, 'hex'), ranged.size, ranged.source)

    const bare = await started('bare-node', startBareNode({ dir: dirs.root, logDir: dirs.logs }))
    const web = await started('nginx', startNginx({ nginx, root: dirs.root, confDir: dirs.nginx, log }))
    const servers = [strata, web, bare]
    for (const server of servers) for (const blob of blobs) await verify(server, blob)
    await verify(strataInfo, ranged)
    log('  verified: full bodies and a random range hash-match on every server')

    const rows = []
    const ratios = {}
    const details = { full: {}, ranged: {} }
    const addRows = (key, labelOf, samples, unit) => {
      const [s, n, b] = [median(samples.strata), median(samples.nginx), median(samples['bare-node'])]
      ratios[key] = { vsNginx: s / n, vsBareNode: s / b }
      rows.push({ label: labelOf('nginx'), median: n, samples: samples.nginx, note: 'baseline' })
      rows.push({
        label: labelOf('bare node:http'),
        median: b,
        samples: samples['bare-node'],
        note: 'Node ceiling',
      })
      rows.push({
        label: labelOf('strata'),
        median: s,
        samples: samples.strata,
        note: `${fmt(s / n)}x nginx, ${fmt(s / b)}x bare-node${unit ? `; ${unit}` : ''}`,
      })
    }

    // full blobs
    for (const blob of blobs) {
      for (const connections of [1, 4]) {
        const samples = { strata: [], nginx: [], 'bare-node': [] }
        await fullDownload(strata, blob, 1) // warm-up, not counted
        for (let round = 0; round < fullRounds; round++) {
          for (const server of servers)
            samples[server.label].push(await fullDownload(server, blob, connections))
          log(
            `  full ${blob.size / MiB} MiB c${connections} round ${round + 1}: ` +
              servers
                .map((server) => `${server.label} ${samples[server.label].at(-1).toFixed(0)}`)
                .join(', ') +
              ' MiB/s',
          )
        }
        const key = `full${blob.size / MiB}MiB_c${connections}`
        details.full[key] = samples
        addRows(key, (who) => `${who}: full ${blob.size / MiB} MiB GET, concurrency ${connections}`, samples)
      }
    }

    // random 64 KiB ranges
    const rangedServers = [...servers, strataInfo]
    for (const connections of [1, 16]) {
      const runs = { strata: [], nginx: [], 'bare-node': [], 'strata (log info)': [] }
      for (const server of rangedServers) await rangedRun(server, ranged, connections, 1)
      for (let round = 0; round < rangedRounds; round++) {
        for (const server of rangedServers)
          runs[server.label].push(await rangedRun(server, ranged, connections, duration))
        log(
          `  ranged 64 KiB c${connections} round ${round + 1}: ` +
            rangedServers
              .map((server) => `${server.label} ${runs[server.label].at(-1).rps.toFixed(0)}`)
              .join(', ') +
            ' req/s',
        )
      }
      const key = `ranged64KiB_c${connections}`
      const pick = (label, field) => runs[label].map((entry) => entry[field])
      const summary = Object.fromEntries(
        Object.keys(runs).map((label) => [
          label,
          {
            rps: median(pick(label, 'rps')),
            p50: median(pick(label, 'p50')),
            p99: median(pick(label, 'p99')),
          },
        ]),
      )
      details.ranged[key] = { summary, runs }
      const samples = Object.fromEntries(Object.keys(runs).map((label) => [label, pick(label, 'mibps')]))
      const describe = (label) =>
        `${summary[label].rps.toFixed(0)} req/s, p50 ${summary[label].p50} ms, p99 ${summary[label].p99} ms`
      addRows(
        key,
        (who) => `${who}: random 64 KiB ranges, concurrency ${connections}`,
        samples,
        describe('strata'),
      )
      rows.at(-3).note = `baseline; ${describe('nginx')}`
      rows.at(-2).note = `Node ceiling; ${describe('bare-node')}`
      const rpsOf = ['strata', 'nginx', 'bare-node'].map((label) => summary[label].rps)
      if (Math.max(...rpsOf) / Math.min(...rpsOf) < 1.1)
        rows.at(-1).note +=
          '; all three within 10%: likely bound by the load generator (one autocannon process here), not the servers'
      const info = summary['strata (log info)']
      const logCost = info.rps / summary.strata.rps
      ratios[`${key}_logInfoVsWarn`] = logCost
      rows.push({
        label: `strata, log level info (request log on): random 64 KiB ranges, concurrency ${connections}`,
        median: median(samples['strata (log info)']),
        samples: samples['strata (log info)'],
        note: `${fmt(logCost)}x strata at warn; ${describe('strata (log info)')}`,
      })
    }

    // where the time goes, when strata is below 0.7x nginx on ranged GETs
    let profile
    const worst = Math.min(ratios.ranged64KiB_c1.vsNginx, ratios.ranged64KiB_c16.vsNginx)
    if (worst < PROFILE_BELOW) {
      log(`  strata at ${fmt(worst)}x nginx on ranged GETs (< ${PROFILE_BELOW}): profiling one c16 run`)
      await stopServer(strata)
      const profiled = await started(
        'strata (profiled)',
        startStrata({
          dataDir: dirs.strata,
          logDir: dirs.logs,
          label: 'strata-profiled',
          logLevel: 'warn',
          nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${dirs.profiles}`],
        }),
      )
      const measured = await rangedRun(profiled, ranged, 16, duration * 2)
      await stopServer(profiled) // SIGTERM: graceful exit, V8 writes the profile
      const [file] = (await readdir(dirs.profiles)).filter((name) => name.endsWith('.cpuprofile'))
      if (file) {
        profile = { rpsWhileProfiled: measured.rps, ...(await topSelfTime(join(dirs.profiles, file), 20)) }
        log(`  self time by area (%): ${JSON.stringify(profile.byCategory)}`)
        log('  top self time (ms, %):')
        for (const entry of profile.top)
          log(
            `    ${String(entry.selfMs).padStart(6)} ${String(entry.percent).padStart(5)}%  ${entry.name}  ${entry.location}`,
          )
      } else log('  no .cpuprofile written')
    }
    if (profile) {
      // where the time goes, in the notes of the ranged rows below 0.7x nginx
      const areas = Object.entries(profile.byCategory)
        .filter(([area]) => area !== 'module loading')
        .slice(0, 6)
        .map(([area, percent]) => `${area} ${percent}%`)
        .join(', ')
      for (const connections of [1, 16]) {
        if (ratios[`ranged64KiB_c${connections}`].vsNginx >= PROFILE_BELOW) continue
        const row = rows.find(
          (entry) => entry.label === `strata: random 64 KiB ranges, concurrency ${connections}`,
        )
        row.note += `; profile (c16 run, self time): ${areas}`
      }
    }

    return {
      parameters: {
        sizesMiB: sizes.map((size) => size / MiB),
        fullRounds,
        rangedRounds,
        rangedDurationSeconds: duration,
        rangeBytes: RANGE,
        nginx: `${nginx.version}, 1 worker process, sendfile on, access_log off`,
        strataLogLevel: 'warn (and info for the log-cost row)',
      },
      ratios,
      profile,
      details,
      rows,
    }
  } finally {
    for (const server of [...running].reverse()) await server.stop().catch(() => {})
    await rm(base, { recursive: true, force: true })
  }
}
