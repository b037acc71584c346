// The servers the download suites (and bench/serve.mjs) measure, holding the SAME bytes: blobs are
// uploaded through `strata serve` (filesystem backend, log level warn), then hard-linked (same
// inode, same page cache) from strata's flatfs `.data` files under their z-digest for nginx (one
// worker, sendfile), the bare `node:http` + `createReadStream` server and the Node ceiling
// (ranges only). Optionally a second strata at log level info holding the ranged blob. Every
// server's bytes are checked once (sha-256 of the full body and of one random range) before any
// timing. Each server is `{ label, url, pid, tree, rangesOnly, stop }` (`tree`: count the CPU of
// its child processes too, nginx's worker).
import { createHash, randomInt } from 'node:crypto'
import { link, mkdir, mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { trackDir } from './children.mjs'
import { hashStream, MiB, patternSource } from './measure.mjs'
import { ensureNginx, startNginx } from './nginx.mjs'
import {
  download,
  findFlatfsFile,
  startBareNode,
  startNodeCeiling,
  startStrata,
  uploadBlob,
} from './servers.mjs'
import { ensureWrk } from './wrk.mjs'

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

/** `download` again (3 tries) when the connection breaks: a busy shared machine resets some. */
async function downloadRetrying(...args) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await download(...args)
    } catch (error) {
      if (attempt >= 3) throw error
    }
  }
}

/** Checks that the full body (unless `rangesOnly`) and one random `range` hash-match the file. */
export async function verify(server, blob, range) {
  if (!server.rangesOnly) {
    const full = await downloadRetrying(`${server.url}/blob/${blob.z}`, {}, { hash: true })
    if (full.status !== 200 || full.bytes !== blob.size || full.sha256 !== blob.sha256)
      throw new Error(
        `${server.label}: full GET of ${blob.z}: ${full.status}, ${full.bytes} bytes, hash mismatch`,
      )
  }
  const start = randomInt(0, blob.size - range)
  const end = start + range - 1
  const part = await downloadRetrying(
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

/**
 * Starts the servers over blobs of `sizes` (bytes; the last one is the ranged blob) and checks
 * their bytes. `strataInfo` adds strata at log level info; `ceiling` the Node ceiling server.
 * Answers `{ wrk, nginx, blobs, servers: { strata, strataInfo?, nginx, bare, ceiling? }, dirs,
 * restartStrata(options), revive(), stop() }`; `revive()` restarts servers that died unasked;
 * `stop()` ends every server and removes the temp dir.
 */
export async function startDownloadFixture({ sizes, strataInfo = false, ceiling = false, range, log }) {
  const base = trackDir(await mkdtemp(join(process.env.STRATA_BENCH_DIR ?? tmpdir(), 'strata-bench-http-')))
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
  /** Starts a server with `start()` (kept, to restart it the same way) and registers it. */
  const started = async (label, start, extra = {}) => {
    const server = { ...(await start()), label, start, tree: false, rangesOnly: false, ...extra }
    running.push(server)
    log(`  ${label}: pid ${server.pid}, ${server.url}`)
    return server
  }
  /**
   * Restarts, in place (same object, new pid and URL), every server whose process ended without
   * being asked to: on a shared machine someone else's clean-up may kill it.
   */
  const revive = async () => {
    for (const server of running) {
      const { child } = server
      if (child.exitCode === null && child.signalCode === null) continue
      log(
        `  ${server.label} (pid ${server.pid}) exited unasked (${child.exitCode ?? child.signalCode}): restarting it`,
      )
      Object.assign(server, await server.start())
      log(`  ${server.label}: pid ${server.pid}, ${server.url}`)
    }
  }
  const stopServer = async (server) => {
    await server.stop()
    running.splice(running.indexOf(server), 1)
  }
  const stop = async () => {
    for (const server of [...running].reverse()) await server.stop().catch(() => {})
    await rm(base, { recursive: true, force: true })
  }
  try {
    const wrk = await ensureWrk(log)
    const nginx = await ensureNginx(log)
    const servers = {}
    servers.strata = await started('strata', () =>
      startStrata({ dataDir: dirs.strata, logDir: dirs.logs, logLevel: 'warn' }),
    )
    const blobs = []
    for (const size of sizes) {
      const source = patternSource(size)
      const sha256 = await hashStream(source())
      const z = await uploadBlob(servers.strata, sha256, size, source)
      const file = await findFlatfsFile(dirs.strata, size)
      await link(file, join(dirs.root, z))
      blobs.push({ size, z, sha256: sha256.toString('hex'), file, source })
      log(`  uploaded ${size / MiB} MiB to strata: ${z}`)
    }
    const ranged = blobs.at(-1)
    if (strataInfo) {
      servers.strataInfo = await started('strata (log info)', () =>
        startStrata({ dataDir: dirs.strataInfo, logDir: dirs.logs, label: 'strata-info', logLevel: 'info' }),
      )
      await uploadBlob(servers.strataInfo, Buffer.from(ranged.sha256, 'hex'), ranged.size, ranged.source)
    }
    servers.bare = await started('bare-node', () => startBareNode({ dir: dirs.root, logDir: dirs.logs }))
    if (ceiling)
      servers.ceiling = await started(
        'node-ceiling',
        () => startNodeCeiling({ dir: dirs.root, logDir: dirs.logs }),
        { rangesOnly: true },
      )
    servers.nginx = await started(
      'nginx',
      () => startNginx({ nginx, root: dirs.root, confDir: dirs.nginx, log }),
      { tree: true },
    )
    for (const server of Object.values(servers))
      for (const blob of server === servers.strataInfo ? [ranged] : blobs) await verify(server, blob, range)
    log('  verified: full bodies and a random range hash-match on every server')

    /** Restarts the warn-level strata (same data dir) with other options, e.g. `--cpu-prof`. */
    const restartStrata = async ({ label, nodeOptions }) => {
      await stopServer(servers.strata)
      servers.strata = await started(label, () =>
        startStrata({ dataDir: dirs.strata, logDir: dirs.logs, label, logLevel: 'warn', nodeOptions }),
      )
      return servers.strata
    }
    return { wrk, nginx, blobs, servers, dirs, restartStrata, revive, stopServer, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
