// HTTP uploads to the filesystem backend: strata's verified upload (allocate + presigned PUT,
// sha2-256 and size checked while streaming) against a bare node:http server piping the body into
// a file (no hashing: the floor of any Node upload path to disk), both child processes. Each upload
// is made by a client in its own process (clients/upload.mjs, lib/upload-client.mjs), whose CPU
// share is reported beside the server's, so the client is seen not to be the bound. Alternated
// round by round, medians compared; raw in-memory sha2-256 speed is the ceiling of any verified write.
import { pct } from '../lib/load-report.mjs'
import { MiB, median, mibps, rawSha256 } from '../lib/measure.mjs'
import { bareDelete, startBareUpload, startStrata, strataDelete } from '../lib/strata-server.mjs'
import { uploadInChild } from '../lib/upload-client.mjs'

export const name = 'http-upload'
export const description =
  'strata verified upload (allocate + presigned PUT) vs a bare node:http → file server vs raw sha2-256; client in its own process'

/** Medians of the CPU shares of `uploads`, for a note. */
function cpuOf(uploads) {
  const pick = (key) => median(uploads.map((upload) => upload.cpu[key]))
  return { client: pick('client'), server: pick('server'), others: pick('others') }
}
const cpuNote = (cpu) =>
  `CPU: server ${pct(cpu.server)}, client ${pct(cpu.client)} (own process), others ${pct(cpu.others)}`

export async function run({ quick, log }) {
  const sizes = (quick ? [16, 64] : [64, 256]).map((n) => n * MiB)
  const rounds = quick ? 5 : 7
  const row = (label, values, note = '') => ({ label, median: median(values), samples: values, note })
  const rows = []
  const ratios = {}
  const cpu = {}
  const sha = []
  let strata
  let bare
  try {
    strata = await startStrata()
    bare = await startBareUpload()
    log(
      `strata (filesystem, pid ${strata.pid}) at ${strata.url}; bare node:http (pid ${bare.pid}) at ${bare.url}`,
    )
    // a server that died unasked (someone else's clean-up on a shared machine) is restarted in place
    const recover = async () => {
      for (const [server, start] of [
        [strata, startStrata],
        [bare, startBareUpload],
      ]) {
        if (server.child.exitCode === null && server.child.signalCode === null) continue
        log(
          `  server pid ${server.pid} exited unasked (${server.child.exitCode ?? server.child.signalCode}): restarting it`,
        )
        await server.stop()
        Object.assign(server, await start())
      }
    }
    // Warm-up, not counted: JIT, first flatfs shard directories, page-cache growth.
    const discardWarm = (upload) => strataDelete(strata, upload.z)
    const warm = await uploadInChild({
      kind: 'strata',
      server: strata,
      size: 4 * MiB,
      discard: discardWarm,
      log,
    })
    await strataDelete(strata, warm.z)
    await uploadInChild({ kind: 'bare', server: bare, size: 4 * MiB, name: 'warmup', log })
    await bareDelete(bare, 'warmup')

    for (const size of sizes) {
      const unverified = []
      const verified = []
      log(`${size / MiB} MiB, ${rounds} rounds`)
      for (let round = 0; round < rounds; round++) {
        unverified.push(await uploadInChild({ kind: 'bare', server: bare, size, recover, log }))
        await bareDelete(bare, 'blob')
        const discard = (upload) => strataDelete(strata, upload.z)
        verified.push(await uploadInChild({ kind: 'strata', server: strata, size, discard, recover, log }))
        await strataDelete(strata, verified.at(-1).z)
        sha.push(rawSha256(size))
        const [b, s] = [unverified.at(-1), verified.at(-1)]
        log(
          `  round ${round + 1}: bare ${mibps(b.mibps)} (cpu ${pct(b.cpu.server)}, client ${pct(b.cpu.client)}), ` +
            `strata ${mibps(s.mibps)} (cpu ${pct(s.cpu.server)}, client ${pct(s.cpu.client)}), raw sha2-256 ${mibps(sha.at(-1))}`,
        )
      }
      const label = `${size / MiB} MiB`
      const bareRates = unverified.map((upload) => upload.mibps)
      const strataRates = verified.map((upload) => upload.mibps)
      const vsBare = median(strataRates) / median(bareRates)
      ratios[label] = { strataVsBare: vsBare, strataVsRawSha256: median(strataRates) / median(sha) }
      cpu[label] = { bare: cpuOf(unverified), strata: cpuOf(verified) }
      rows.push(
        row(
          `${label}: bare node:http → file, unverified (baseline)`,
          bareRates,
          `child process, no hashing; ${cpuNote(cpu[label].bare)}`,
        ),
      )
      rows.push(
        row(
          `${label}: strata allocate + presigned PUT, sha2-256 verified`,
          strataRates,
          `÷ bare ${vsBare.toFixed(2)}, ÷ raw sha2-256 ${ratios[label].strataVsRawSha256.toFixed(2)}; ${cpuNote(cpu[label].strata)}`,
        ),
      )
    }
  } finally {
    await strata?.stop()
    await bare?.stop()
  }
  rows.unshift(row('raw sha2-256 (in memory, 1 MiB updates)', sha, 'the ceiling of any verified write'))
  return {
    parameters: {
      sizesMiB: sizes.map((size) => size / MiB),
      rounds,
      chunkMiB: 1,
      backend: 'filesystem',
      client: 'clients/upload.mjs, one child process per upload, 1 MiB chunks, timed from its first byte',
    },
    rawSha256: median(sha),
    ratios,
    cpu,
    rows,
  }
}
