// Memory: the peak resident set (VmRSS of /proc/<pid>/status, sampled every 50 ms) of the strata
// server child process over its idle baseline, while one large blob streams up (allocate +
// presigned PUT) and back down (GET), and while many 16 MiB uploads run at once. The same
// measurement on the bare node:http → file upload server is the baseline. Figures in MiB of RSS
// growth (peak − idle); the time each transfer took is in the notes.
import { MiB, median, patternSource } from '../lib/measure.mjs'
import {
  allocate,
  bareDelete,
  bareUpload,
  canReadRss,
  get,
  idleRss,
  mib,
  peakRss,
  put,
  startBareUpload,
  startStrata,
  strataDelete,
  strataUpload,
  zDigestOf,
} from '../lib/strata-server.mjs'

export const name = 'memory'
export const description =
  'peak RSS of the strata server child streaming a large blob up and down and during concurrent uploads, vs a bare node:http server'

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`
const rate = (bytes, ms) => `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`

/** Warm-up (not counted: lazily loaded code, JIT), then the idle RSS of the server. */
async function warmIdle(server, kind) {
  const source = patternSource(MiB)
  if (kind === 'strata') {
    const z = await zDigestOf(source)
    await strataUpload(server, z, MiB, source)
    await get(`${server.url}/blob/${z}`)
    await strataDelete(server, z)
  } else {
    await bareUpload(server, 'warmup', MiB, source)
    await get(`${server.url}/warmup`)
    await bareDelete(server, 'warmup')
  }
  return idleRss(server.pid)
}

/** One large blob up then down through `server`; answers `{ up, down }` as `{ peak, ms }`. */
async function upAndDown(server, kind, big) {
  const { size, source, z } = big
  if (kind === 'strata') {
    const up = await peakRss(server.pid, () => strataUpload(server, z, size, source))
    const down = await peakRss(server.pid, () => get(`${server.url}/blob/${z}`))
    if (down.result !== size) throw new Error(`GET /blob/${z}: ${down.result} bytes, expected ${size}`)
    await strataDelete(server, z)
    return { up, down }
  }
  const up = await peakRss(server.pid, () => bareUpload(server, 'big', size, source))
  const down = await peakRss(server.pid, () => get(`${server.url}/big`))
  if (down.result !== size) throw new Error(`GET /big: ${down.result} bytes, expected ${size}`)
  await bareDelete(server, 'big')
  return { up, down }
}

/** `blobs` uploaded all at once through `server`; answers `{ peak, ms }` (allocations made before). */
async function concurrent(server, kind, blobs) {
  if (kind === 'strata') {
    const allocations = []
    for (const blob of blobs) allocations.push(await allocate(server, blob.z, blob.size))
    const sample = await peakRss(server.pid, () =>
      Promise.all(blobs.map((blob, i) => put(allocations[i].url, allocations[i].headers, blob.source))),
    )
    for (const blob of blobs) await strataDelete(server, blob.z)
    return sample
  }
  const sample = await peakRss(server.pid, () =>
    Promise.all(blobs.map((blob, i) => bareUpload(server, `c${i}`, blob.size, blob.source))),
  )
  for (let i = 0; i < blobs.length; i++) await bareDelete(server, `c${i}`)
  return sample
}

export async function run({ quick, log }) {
  const unit = 'MiB'
  if (!canReadRss) {
    const note = 'skipped: needs /proc/<pid>/status (Linux)'
    log(note)
    return { skipped: note, rows: [{ label: 'memory', median: 0, samples: [], note, unit }] }
  }
  const bigSize = (quick ? 256 : 1024) * MiB
  const count = quick ? 16 : 64
  const each = 16 * MiB
  const rounds = quick ? 1 : 3
  const strata = { idle: 0, up: [], down: [], many: [] }
  const bare = { idle: 0, up: [], down: [], many: [] }
  let strataServer
  let bareServer
  try {
    strataServer = await startStrata()
    bareServer = await startBareUpload()
    strata.idle = await warmIdle(strataServer, 'strata')
    bare.idle = await warmIdle(bareServer, 'bare')
    log(`idle RSS: strata ${mib(strata.idle)} MiB (pid ${strataServer.pid}), bare ${mib(bare.idle)} MiB`)

    const bigSource = patternSource(bigSize)
    const big = { size: bigSize, source: bigSource, z: await zDigestOf(bigSource) }
    const blobs = []
    for (let i = 0; i < count; i++) {
      const source = patternSource(each)
      blobs.push({ size: each, source, z: await zDigestOf(source) })
    }

    for (let round = 0; round < rounds; round++) {
      for (const [kind, server, into] of [
        ['strata', strataServer, strata],
        ['bare', bareServer, bare],
      ]) {
        const { up, down } = await upAndDown(server, kind, big)
        into.up.push(up)
        into.down.push(down)
        const many = await concurrent(server, kind, blobs)
        into.many.push(many)
        log(
          `  round ${round + 1} ${kind}: ${bigSize / MiB} MiB up +${mib(up.peak - into.idle)} MiB in ${seconds(up.ms)}, ` +
            `down +${mib(down.peak - into.idle)} MiB in ${seconds(down.ms)}; ` +
            `${count} × 16 MiB at once +${mib(many.peak - into.idle)} MiB in ${seconds(many.ms)}`,
        )
      }
    }
  } finally {
    await strataServer?.stop()
    await bareServer?.stop()
  }

  const growth = (side, samples) => samples.map((sample) => (sample.peak - side.idle) / MiB)
  const row = (label, values, note = '') => ({ label, median: median(values), samples: values, note, unit })
  const timing = (samples, bytes) => {
    const ms = median(samples.map((sample) => sample.ms))
    const peak = median(samples.map((sample) => sample.peak))
    return `peak ${mib(peak)} MiB; ${seconds(ms)} (${rate(bytes, ms)})`
  }
  const ratio = (key) => median(growth(strata, strata[key])) / median(growth(bare, bare[key]))
  const bigLabel = bigSize >= 1024 * MiB ? `${bigSize / 1024 / MiB} GiB` : `${bigSize / MiB} MiB`
  const manyLabel = `${count} × 16 MiB concurrent uploads`
  const ratios = { upload: ratio('up'), download: ratio('down'), concurrent: ratio('many') }
  return {
    parameters: { bigMiB: bigSize / MiB, concurrent: count, eachMiB: 16, rounds, sampleEveryMs: 50, unit },
    idleMiB: { strata: strata.idle / MiB, bare: bare.idle / MiB },
    seconds: Object.fromEntries(
      ['up', 'down', 'many'].map((key) => [
        key,
        { strata: strata[key].map((s) => s.ms / 1000), bare: bare[key].map((s) => s.ms / 1000) },
      ]),
    ),
    ratios,
    rows: [
      row('bare node:http server, idle RSS (baseline), MiB', [bare.idle / MiB], 'after warm-up'),
      row(
        'strata serve, idle RSS (baseline), MiB',
        [strata.idle / MiB],
        'after warm-up; growth below is over this',
      ),
      row(`bare: ${bigLabel} upload, RSS growth MiB`, growth(bare, bare.up), timing(bare.up, bigSize)),
      row(
        `strata: ${bigLabel} upload (verified), RSS growth MiB`,
        growth(strata, strata.up),
        `${timing(strata.up, bigSize)}; ÷ bare ${ratios.upload.toFixed(2)}`,
      ),
      row(`bare: ${bigLabel} download, RSS growth MiB`, growth(bare, bare.down), timing(bare.down, bigSize)),
      row(
        `strata: ${bigLabel} download, RSS growth MiB`,
        growth(strata, strata.down),
        `${timing(strata.down, bigSize)}; ÷ bare ${ratios.download.toFixed(2)}`,
      ),
      row(
        `bare: ${manyLabel}, RSS growth MiB (baseline)`,
        growth(bare, bare.many),
        timing(bare.many, count * each),
      ),
      row(
        `strata: ${manyLabel} (verified), RSS growth MiB`,
        growth(strata, strata.many),
        `${timing(strata.many, count * each)}; ÷ bare ${ratios.concurrent.toFixed(2)}`,
      ),
    ],
  }
}
