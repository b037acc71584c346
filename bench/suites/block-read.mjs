// Block reads against the equivalent blob range: `strata serve` (filesystem backend, log level
// warn) holds one imported CAR of ~1 KiB dag-cbor blocks (an ATProto-sized repo shape); every
// request of one run asks a random block, as `GET /block/<cid>` (index lookup in LevelDB, ranged
// read, sha2-256 re-hash) or as `GET /blob/<car>` with `Range: bytes=<offset>-<end>` of the same
// bytes (what a client that knows the location asks). Same server, same data, same random
// sequence; runs interleaved (block, blob, block, blob…) and compared by median req/s.
//
// The load generator is `runLoad` below (autocannon in this process). To switch to wrk
// (bench/lib/wrk.mjs, where present), give wrk a Lua script that picks the request from the same
// list of paths and ranges: nothing else here changes.
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { CarIndexer } from '@ipld/car'
import { largeCar } from '@strata/car/testing/data'
import autocannon from 'autocannon'
import { median } from '../lib/measure.mjs'
import { download, send, startStrata } from '../lib/servers.mjs'

export const name = 'block-read'
export const description =
  'GET /block/:cid (index lookup, ranged read, re-hash) vs GET /blob/:car with the equivalent Range, random ~1 KiB blocks'

/** The target `block ÷ blob` ratio of req/s. */
const TARGET = 0.8

/** A seeded xorshift32: the same request sequence for both kinds of run. */
function randomIndexes(seed, count) {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state % count
  }
}

/**
 * One load run of `seconds` at `connections` over `requests` (`{ path, headers }`, picked in a
 * seeded random order). Answers `{ rps, p50, p99 }`; throws on any non-2xx answer or error.
 */
async function runLoad({ url, requests, connections, seconds, seed }) {
  const next = randomIndexes(seed, requests.length)
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          const pick = requests[next()]
          return { ...request, path: pick.path, headers: { ...request.headers, ...pick.headers } }
        },
      },
    ],
  })
  const errors = result.errors + result.timeouts
  if (result.non2xx > 0 || errors > 0 || result.requests.total === 0)
    throw new Error(`load run: ${result.non2xx} non-2xx, ${errors} errors, ${result.requests.total} requests`)
  return { rps: result.requests.total / seconds, p50: result.latency.p50, p99: result.latency.p99 }
}

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
    const byBlock = blocks.map((block) => ({ path: `/block/${block.cid}`, headers: {} }))
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
    const rows = []
    const ratios = {}
    for (const c of connections) {
      const samples = { block: [], blob: [] }
      // warm-up of both (JIT, page cache, LevelDB blocks), not counted
      await runLoad({ url: server.url, requests: byBlock, connections: c, seconds: 1, seed: 7 })
      await runLoad({ url: server.url, requests: byRange, connections: c, seconds: 1, seed: 7 })
      for (let round = 0; round < rounds; round++) {
        const seed = 1000 + round
        const block = await runLoad({ url: server.url, requests: byBlock, connections: c, seconds, seed })
        const blob = await runLoad({ url: server.url, requests: byRange, connections: c, seconds, seed })
        samples.block.push(block.rps)
        samples.blob.push(blob.rps)
        log(
          `  c${c} round ${round + 1}: /block ${block.rps.toFixed(0)} req/s (p99 ${block.p99} ms), ` +
            `/blob range ${blob.rps.toFixed(0)} req/s (p99 ${blob.p99} ms)`,
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
