// Block reads against the equivalent blob range: `strata serve` (filesystem backend, log level
// warn) holds one imported CAR of ~1 KiB dag-cbor blocks (an ATProto-sized repo shape); every
// request of one run asks a random block, as `GET /block/<cid>` (index lookup in LevelDB, ranged
// read, sha2-256 re-hash) or as `GET /blob/<car>` with `Range: bytes=<offset>-<end>` of the same
// bytes (what a client that knows the location asks). Same server, same data, same random
// sequence; runs interleaved (block, blob, block, blob…) and compared by median req/s.
// wrk (its own process) picks each request from the list (bench/lib/wrk-list.mjs).
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { CarIndexer } from '@ipld/car'
import { largeCar } from '@strata/car/testing/data'
import { median } from '../lib/measure.mjs'
import { download, send, startStrata } from '../lib/servers.mjs'
import { ensureWrk } from '../lib/wrk.mjs'
import { runWrkList, writeListScript } from '../lib/wrk-list.mjs'

export const name = 'block-read'
export const description =
  'GET /block/:cid (index lookup, ranged read, re-hash) vs GET /blob/:car with the equivalent Range, random ~1 KiB blocks'

/** The target `block ÷ blob` ratio of req/s. */
const TARGET = 0.8

/** The CAR's blocks and where their data lies in it (@ipld/car's indexer). */
async function locationsOf(path) {
  const indexer = await CarIndexer.fromIterable(createReadStream(path, { highWaterMark: 1024 * 1024 }))
  const blocks = []
  for await (const { cid, blockOffset, blockLength } of indexer) {
    blocks.push({ cid: cid.toString(), offset: blockOffset, length: blockLength })
  }
  return blocks
}

export async function run({ quick, log }) {
  const base = await mkdtemp(join(process.env.STRATA_BENCH_DIR ?? tmpdir(), 'strata-bench-block-'))
  const dirs = { data: join(base, 'strata'), logs: join(base, 'logs') }
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true })
  const rounds = quick ? 3 : 5
  const seconds = quick ? 3 : 8
  const connections = [1, 16]
  let server
  try {
    const wrk = await ensureWrk(log)
    server = await startStrata({ dataDir: dirs.data, logDir: dirs.logs, logLevel: 'warn' })
    log(`  strata: pid ${server.pid}, ${server.url}`)
    const car = largeCar({ leaves: quick ? 8192 : 32_768, leafSize: 1024 })
    const file = join(base, 'repo.car')
    await pipeline(car.stream(), createWriteStream(file))
    const imported = await send(
      `${server.url}/car`,
      'POST',
      { authorization: `Bearer ${server.token}`, 'content-length': String(car.size()) },
      createReadStream(file),
    )
    if (imported.status !== 201) throw new Error(`POST /car: ${imported.status} ${imported.body}`)
    const { digest } = JSON.parse(imported.body.toString())
    const blocks = await locationsOf(file)
    log(`  imported ${blocks.length} blocks (${(car.size() / 2 ** 20).toFixed(0)} MiB) as ${digest}`)
    const byBlock = blocks.map((block) => ({ path: `/block/${block.cid}` }))
    const byRange = blocks.map((block) => ({
      path: `/blob/${digest}`,
      headers: { range: `bytes=${block.offset}-${block.offset + block.length - 1}` },
    }))
    // the two ask the same bytes
    for (const at of [0, blocks.length >> 1, blocks.length - 1]) {
      const one = await download(`${server.url}${byBlock[at].path}`, {}, { hash: true })
      const two = await download(`${server.url}${byRange[at].path}`, byRange[at].headers, { hash: true })
      if (one.status !== 200 || two.status !== 206 || one.sha256 !== two.sha256)
        throw new Error(
          `block ${blocks[at].cid}: /block ${one.status}, /blob range ${two.status}, bytes differ`,
        )
    }
    const scripts = { block: join(base, 'block.lua'), blob: join(base, 'blob.lua') }
    await writeListScript(scripts.block, byBlock)
    await writeListScript(scripts.blob, byRange)
    const load = (kind, c, secs) =>
      runWrkList({ wrk, url: server.url, script: scripts[kind], seconds: secs, connections: c })
    const rows = []
    const ratios = {}
    for (const c of connections) {
      const samples = { block: [], blob: [] }
      // warm-up of both (JIT, page cache, LevelDB blocks), not counted
      await load('block', c, 1)
      await load('blob', c, 1)
      for (let round = 0; round < rounds; round++) {
        const block = await load('block', c, seconds)
        const blob = await load('blob', c, seconds)
        samples.block.push(block.rps)
        samples.blob.push(blob.rps)
        log(
          `  c${c} round ${round + 1}: /block ${block.rps.toFixed(0)} req/s (p99 ${block.p99.toFixed(2)} ms), ` +
            `/blob range ${blob.rps.toFixed(0)} req/s (p99 ${blob.p99.toFixed(2)} ms)`,
        )
      }
      const ratio = median(samples.block) / median(samples.blob)
      ratios[`c${c}`] = ratio
      rows.push({
        label: `c${c}: GET /blob/:car, Range of the block (baseline)`,
        median: median(samples.blob),
        samples: samples.blob,
        note: 'baseline',
        unit: 'req/s',
      })
      rows.push({
        label: `c${c}: GET /block/:cid`,
        median: median(samples.block),
        samples: samples.block,
        note: `ratio ${ratio.toFixed(2)} (target >= ${TARGET.toFixed(2)})`,
        unit: 'req/s',
      })
    }
    return {
      parameters: { blocks: blocks.length, rounds, seconds, connections },
      requirement: { ratios, target: TARGET, met: Object.values(ratios).every((r) => r >= TARGET) },
      rows,
    }
  } finally {
    await server?.stop()
    await rm(base, { recursive: true, force: true })
  }
}
