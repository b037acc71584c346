// The Trustless Gateway's block reads against the blob reads they are made of: one strata
// (filesystem backend) holding an imported CAR of 1 KiB blocks and one of 256 KiB blocks;
// `GET /ipfs/<cid>?format=raw` of a random block (index lookup in LevelDB, a ranged read of the
// CAR blob, the block re-hashed, the spec's headers) against `GET /blob/<car>` with the `Range` of
// the same block's bytes (the socket fast path: no lookup, no hash). wrk (lib/wrk-list.mjs, picking
// a random block per request) at concurrency 16, rounds interleaved, medians compared: req/s.
// Target: the gateway at >= 0.8x the blob ranges. Beside them, in the same rounds, `GET /block/<cid>`
// (the same lookup and re-hash, without the gateway), and the cost of the re-hash every verified
// read pays: sha2-256 of one block, measured in this process (median of 200), against the time per
// blob range (1 / its req/s). Needs `wrk`.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { carOf, rawBlock } from '@strata/car/testing/data'
import { configSchema, createContainer } from '@strata/server'
import { varint } from 'multiformats'
import { base58btc } from 'multiformats/bases/base58'
import { median } from '../lib/measure.mjs'
import { startStrata } from '../lib/servers.mjs'
import { ensureWrk } from '../lib/wrk.mjs'
import { runWrkList, writeListScript } from '../lib/wrk-list.mjs'

export const name = 'ipfs-gateway'
export const description =
  'GET /ipfs/<cid>?format=raw (1 KiB and 256 KiB blocks inside an imported CAR) vs GET /blob/<car> ranges of the same bytes, req/s'

const KiB = 1024

/** A CAR of `count` random raw blocks of `size` bytes, with each block's data offset in it. */
function carWithOffsets(count, size) {
  const blocks = Array.from({ length: count }, (_, i) => {
    const bytes = new Uint8Array(size)
    crypto.getRandomValues(bytes.subarray(0, Math.min(size, 65536)))
    bytes[size - 1] = i & 0xff
    bytes[size - 2] = i >> 8
    return rawBlock(bytes)
  })
  const car = carOf([blocks[0].cid], blocks)
  // header: varint + dag-cbor; each section: varint(cid + data), cid, data
  const [headerLength, headerVarint] = varint.decode(car)
  let at = headerVarint + headerLength
  const placed = blocks.map((block) => {
    const [sectionLength, sectionVarint] = varint.decode(car.subarray(at))
    const offset = at + sectionVarint + block.cid.bytes.byteLength
    at += sectionVarint + sectionLength
    return { cid: block.cid.toString(), offset, length: block.bytes.byteLength }
  })
  return { car, blocks: placed }
}

/** sha2-256 of `bytes`, in seconds: the median of 200 runs (after 20 to warm up). */
function sha256Seconds(bytes) {
  const times = []
  for (let i = 0; i < 220; i++) {
    const start = process.hrtime.bigint()
    createHash('sha256').update(bytes).digest()
    if (i >= 20) times.push(Number(process.hrtime.bigint() - start) / 1e9)
  }
  return median(times)
}

/** Checks once that both routes answer the block's exact bytes. */
async function verify(url, car, entry, blobPath) {
  const raw = new Uint8Array(await (await fetch(`${url}/ipfs/${entry.cid}?format=raw`)).arrayBuffer())
  const range = await fetch(`${url}${blobPath}`, {
    headers: { range: `bytes=${entry.offset}-${entry.offset + entry.length - 1}` },
  })
  const ranged = new Uint8Array(await range.arrayBuffer())
  const expected = car.subarray(entry.offset, entry.offset + entry.length)
  if (Buffer.compare(raw, expected) !== 0 || Buffer.compare(ranged, expected) !== 0 || range.status !== 206)
    throw new Error(`the gateway and the blob range disagree on ${entry.cid}`)
}

export async function run({ quick, log }) {
  const seconds = quick ? 2 : 5
  const rounds = quick ? 2 : 3
  const connections = 16
  const base = await mkdtemp(join(process.env.STRATA_BENCH_DIR ?? tmpdir(), 'strata-bench-ipfs-'))
  const dataDir = join(base, 'data')
  const logDir = join(base, 'logs')
  await mkdir(logDir, { recursive: true })
  let server
  try {
    const wrk = await ensureWrk(log)
    // import the CARs with the library, on the data directory the server then opens
    const sets = { '1 KiB': carWithOffsets(2000, KiB), '256 KiB': carWithOffsets(64, 256 * KiB) }
    const config = configSchema.parse({
      storage: { backend: 'filesystem', dataDir },
      log: { level: 'silent' },
    })
    const container = createContainer(config)
    await container.start()
    for (const [label, set] of Object.entries(sets)) {
      const imported = await container.cradle.cars.importCar(set.car)
      set.blobPath = `/blob/${base58btc.encode(imported.digest.bytes)}`
      log(`  imported ${set.blocks.length} blocks of ${label}: CAR ${set.car.byteLength} bytes`)
    }
    await container.stop()
    server = await startStrata({ dataDir, logDir, logLevel: 'warn' })

    const rows = []
    const ratios = {}
    for (const [label, set] of Object.entries(sets)) {
      await verify(server.url, set.car, set.blocks[1], set.blobPath)
      const gatewayScript = join(base, `gateway-${set.blocks[0].length}.lua`)
      const blobScript = join(base, `blob-${set.blocks[0].length}.lua`)
      const blockScript = join(base, `block-${set.blocks[0].length}.lua`)
      await writeListScript(
        blockScript,
        set.blocks.map((entry) => ({ path: `/block/${entry.cid}`, headers: {} })),
      )
      await writeListScript(
        gatewayScript,
        set.blocks.map((entry) => ({
          path: `/ipfs/${entry.cid}?format=raw`,
          headers: { Accept: 'application/vnd.ipld.raw' },
        })),
      )
      await writeListScript(
        blobScript,
        set.blocks.map((entry) => ({
          path: set.blobPath,
          headers: { Range: `bytes=${entry.offset}-${entry.offset + entry.length - 1}` },
        })),
      )
      const load = async (script, secs) =>
        (await runWrkList({ wrk, url: server.url, script, seconds: secs, connections })).rps
      const samples = { gateway: [], blob: [], block: [] }
      await load(gatewayScript, 1) // warm-up
      await load(blobScript, 1)
      await load(blockScript, 1)
      for (let round = 0; round < rounds; round++) {
        samples.gateway.push(await load(gatewayScript, seconds))
        samples.blob.push(await load(blobScript, seconds))
        samples.block.push(await load(blockScript, seconds))
        log(
          `  ${label} round ${round + 1}: gateway ${samples.gateway.at(-1).toFixed(0)}, blob range ${samples.blob.at(-1).toFixed(0)}, /block ${samples.block.at(-1).toFixed(0)} req/s`,
        )
      }
      const [g, b, k] = [median(samples.gateway), median(samples.blob), median(samples.block)]
      const hashSeconds = sha256Seconds(set.car.subarray(0, set.blocks[0].length))
      ratios[label] = g / b
      ratios[`${label} vs /block`] = g / k
      rows.push({
        label: `GET /blob/<car> Range of one ${label} block, c${connections}`,
        median: b,
        samples: samples.blob,
        unit: 'req/s',
        note: 'baseline',
      })
      rows.push({
        label: `GET /ipfs/<cid>?format=raw, ${label} block, c${connections}`,
        median: g,
        samples: samples.gateway,
        unit: 'req/s',
        note: `${(g / b).toFixed(2)}x the blob range (target >= 0.8x); ${(g / k).toFixed(2)}x /block; sha2-256 of one block ${(hashSeconds * 1e6).toFixed(0)} us, a blob range ${(1e6 / b).toFixed(0)} us`,
      })
      rows.push({
        label: `GET /block/<cid>, ${label} block, c${connections}`,
        median: k,
        samples: samples.block,
        unit: 'req/s',
        note: `${(k / b).toFixed(2)}x the blob range (the same lookup and re-hash as the gateway)`,
      })
    }
    return { parameters: { seconds, rounds, connections }, ratios, rows }
  } catch (error) {
    const { readFile } = await import('node:fs/promises')
    log(`  server log: ${(await readFile(join(logDir, 'strata.log'), 'utf8').catch(() => '')).slice(-3000)}`)
    throw error
  } finally {
    await server?.stop()
    await rm(base, { recursive: true, force: true })
  }
}
