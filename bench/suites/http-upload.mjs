import { MiB, median, mibps, patternSource, rawSha256, throughput } from '../lib/measure.mjs'
import {
  bareDelete,
  bareUpload,
  startBareUpload,
  startStrata,
  strataDelete,
  strataUpload,
  zDigestOf,
} from '../lib/strata-server.mjs'

export const name = 'http-upload'
export const description =
  'strata verified upload (allocate + presigned PUT) vs a bare node:http → file server vs raw sha2-256'

export async function run({ quick, log }) {
  const sizes = (quick ? [16, 64] : [64, 256]).map((n) => n * MiB)
  const rounds = quick ? 5 : 7
  const row = (label, values, note = '') => ({ label, median: median(values), samples: values, note })
  const rows = []
  const ratios = {}
  const sha = []
  let strata
  let bare
  try {
    strata = await startStrata()
    bare = await startBareUpload()
    log(
      `strata (filesystem, pid ${strata.pid}) at ${strata.url}; bare node:http (pid ${bare.pid}) at ${bare.url}`,
    )
    // Warm-up, not counted: JIT, first flatfs shard directories, page-cache growth.
    const warm = patternSource(4 * MiB)
    const warmZ = await zDigestOf(warm)
    await strataUpload(strata, warmZ, 4 * MiB, warm)
    await strataDelete(strata, warmZ)
    await bareUpload(bare, 'warmup', 4 * MiB, warm)
    await bareDelete(bare, 'warmup')

    for (const size of sizes) {
      const source = patternSource(size)
      const z = await zDigestOf(source)
      const unverified = []
      const verified = []
      log(`${size / MiB} MiB, ${rounds} rounds`)
      for (let round = 0; round < rounds; round++) {
        unverified.push(await throughput(size, () => bareUpload(bare, 'blob', size, source)))
        await bareDelete(bare, 'blob')
        verified.push(await throughput(size, () => strataUpload(strata, z, size, source)))
        await strataDelete(strata, z)
        sha.push(rawSha256(size))
        log(
          `  round ${round + 1}: bare ${mibps(unverified.at(-1))}, strata ${mibps(verified.at(-1))}, ` +
            `raw sha2-256 ${mibps(sha.at(-1))}`,
        )
      }
      const label = `${size / MiB} MiB`
      const vsBare = median(verified) / median(unverified)
      ratios[label] = { strataVsBare: vsBare, strataVsRawSha256: median(verified) / median(sha) }
      rows.push(
        row(
          `${label}: bare node:http → file, unverified (baseline)`,
          unverified,
          'child process, no hashing',
        ),
      )
      rows.push(
        row(
          `${label}: strata allocate + presigned PUT, sha2-256 verified`,
          verified,
          `÷ bare ${vsBare.toFixed(2)}, ÷ raw sha2-256 ${ratios[label].strataVsRawSha256.toFixed(2)}`,
        ),
      )
    }
  } finally {
    await strata?.stop()
    await bare?.stop()
  }
  rows.unshift(row('raw sha2-256 (in memory, 1 MiB updates)', sha, 'the ceiling of any verified write'))
  return {
    parameters: { sizesMiB: sizes.map((size) => size / MiB), rounds, chunkMiB: 1, backend: 'filesystem' },
    rawSha256: median(sha),
    ratios,
    rows,
  }
}
