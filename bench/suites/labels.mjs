// Labels: `LabelStore` (compare-and-swap records: a DAG-CBOR record with a fresh random version,
// keyed by the base32hex of the name) on a `LevelObjectStore`, against that same LevelDB object
// store used directly (put / get of a record of the same size under the same keys): the "raw
// records backend". Unconditional sets, compare-and-swap sets (a read, then a conditional put) and
// gets, one at a time and 16 at a time; fresh databases each round, the two sides alternating every
// 250 operations (a ratio per round, its median reported). Figures in ops/s; the target is ≥ 0.7×
// of the raw backend for set and get.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { LevelObjectStore } from '@strata/objectstore/level'
import { LabelStore, labelKey } from '@strata/stores/label'
import { create as createDigest } from 'multiformats/hashes/digest'
import { median } from '../lib/measure.mjs'
import { tempDir } from '../lib/strata-server.mjs'

export const name = 'labels'
export const description =
  'LabelStore set / compare-and-swap set / get on LevelDB vs the same LevelObjectStore put/get directly'

/** `count` names as Theater and ATProto write them, and a digest ref for each. */
function workload(count) {
  return Array.from({ length: count }, (_, i) => ({
    name: i % 2 === 0 ? `actor/${i}/head` : `did:plc:${i.toString(36).padStart(24, '0')}:chain-head`,
    ref: createDigest(0x12, Buffer.alloc(32, i % 251).fill(i & 0xff, 0, 4)),
  }))
}

/** Runs `task(i)` for i in [from, to) with at most `concurrency` in flight; answers the seconds taken. */
async function timed(from, to, concurrency, task) {
  let next = from
  const worker = async () => {
    while (next < to) await task(next++)
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return Number(process.hrtime.bigint() - start) / 1e9
}

async function fresh() {
  const dir = await tempDir('labels')
  const store = new LevelObjectStore({ path: join(dir, 'db') })
  await store.open()
  return {
    store,
    dispose: async () => {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function readAll(body) {
  const chunks = []
  for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** Slices of this many operations alternate between the two sides, so load swings hit both alike. */
const SLICE = 250

/**
 * One round on two fresh databases: each operation (set, cas, get) over every item, the raw side and
 * the label side alternating slice by slice; answers ops/s per side and operation.
 */
async function round(items, recordBytes, concurrency) {
  const raw = await fresh()
  const mine = await fresh()
  const count = items.length
  try {
    const labels = new LabelStore({ backend: mine.store })
    const keys = items.map((item) => labelKey(item.name))
    const put = (i) => raw.store.put(keys[i], recordBytes.byteLength, recordBytes)
    const versions = new Array(count)
    const sides = {
      set: [
        put,
        async (i) => {
          versions[i] = (await labels.set(items[i].name, items[i].ref)).version
        },
      ],
      // the least any compare-and-swap does: read the record, write the new one
      cas: [
        async (i) => {
          const got = await raw.store.get(keys[i])
          got.bytes ?? (await readAll(got.body))
          await put(i)
        },
        (i) => labels.set(items[i].name, items[i].ref, { ifVersion: versions[i] }),
      ],
      get: [
        async (i) => {
          const got = await raw.store.get(keys[i])
          if ((got.bytes ?? (await readAll(got.body))).byteLength !== recordBytes.byteLength)
            throw new Error('wrong record')
        },
        async (i) => {
          if ((await labels.get(items[i].name)).name !== items[i].name) throw new Error('wrong label')
        },
      ],
    }
    const result = {}
    for (const [op, [rawTask, labelTask]] of Object.entries(sides)) {
      let rawSeconds = 0
      let labelSeconds = 0
      for (let from = 0; from < count; from += SLICE) {
        const to = Math.min(count, from + SLICE)
        rawSeconds += await timed(from, to, concurrency, rawTask)
        labelSeconds += await timed(from, to, concurrency, labelTask)
      }
      result[op] = { raw: count / rawSeconds, labels: count / labelSeconds }
    }
    return result
  } finally {
    await raw.dispose()
    await mine.dispose()
  }
}

export async function run({ quick, log }) {
  const count = quick ? 5_000 : 20_000
  const rounds = quick ? 3 : 5
  const items = workload(count)
  // a raw record as large as a label record: { ref: 34 bytes, version: 24 hex, updatedAt }
  const recordBytes = new Uint8Array(80).fill(7)
  log(`${count} labels, ${rounds} rounds, raw and label sides alternating every ${SLICE} operations`)
  await round(items.slice(0, 500), recordBytes, 1) // warm-up
  const row = (label, values, note = '') => ({
    label,
    median: median(values),
    samples: values,
    note,
    unit: 'ops/s',
  })
  const rows = []
  const ratios = {}
  for (const concurrency of [1, 16]) {
    const mode = concurrency === 1 ? 'sequential' : `concurrency ${concurrency}`
    const samples = {
      set: { raw: [], labels: [], ratio: [] },
      cas: { raw: [], labels: [], ratio: [] },
      get: { raw: [], labels: [], ratio: [] },
    }
    for (let r = 0; r < rounds; r++) {
      const result = await round(items, recordBytes, concurrency)
      for (const op of ['set', 'cas', 'get']) {
        samples[op].raw.push(result[op].raw)
        samples[op].labels.push(result[op].labels)
        samples[op].ratio.push(result[op].labels / result[op].raw)
      }
      const f = (op) => `${op} ${result[op].labels.toFixed(0)}/${result[op].raw.toFixed(0)}`
      log(`  ${mode} round ${r + 1} (labels/raw ops/s): ${f('set')}, ${f('cas')}, ${f('get')}`)
    }
    for (const [op, what, baseline] of [
      ['set', 'set', 'put'],
      ['cas', 'set with ifVersion (read + conditional put)', 'get + put'],
      ['get', 'get', 'get'],
    ]) {
      const ratio = median(samples[op].ratio)
      ratios[`${op} ${mode}`] = ratio
      const target =
        op === 'cas' ? ' (the conditional put re-reads the record under the key lock)' : ' (target ≥ 0.7)'
      rows.push(row(`${baseline}, ${mode}: LevelObjectStore directly (baseline)`, samples[op].raw))
      rows.push(row(`${what}, ${mode}: LabelStore`, samples[op].labels, `ratio ${ratio.toFixed(2)}${target}`))
    }
  }
  return {
    parameters: { labels: count, rounds, concurrency: [1, 16], slice: SLICE, unit: 'ops/s' },
    ratios,
    rows,
  }
}
