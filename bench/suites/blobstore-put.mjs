import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VerifiedBlobStore } from '@strata/blobstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { create as createDigest } from 'multiformats/hashes/digest'
import { hashStream, MiB, median, mibps, patternSource, rawSha256, throughput } from '../lib/measure.mjs'

export const name = 'blobstore-put'
export const description = 'verified Blobstore.put vs unverified FlatfsObjectStore.put on flatfs'

/**
 * Unverified vs verified puts of `size` bytes on a flatfs store, interleaved with a raw sha2-256
 * measurement (A/B/C, `rounds` times), so all three see the same machine load.
 */
async function compare({ size, rounds, fsync, log }) {
  const dir = await mkdtemp(join(process.env.STRATA_BENCH_DIR ?? tmpdir(), 'strata-bench-'))
  const backend = new FlatfsObjectStore({ path: dir, fsync })
  await backend.open()
  const blobs = new VerifiedBlobStore({ backend })
  const stream = patternSource(size)
  const digest = createDigest(0x12, await hashStream(stream()))
  const key = blobs.keyOf(digest)
  const unverified = []
  const verified = []
  const sha = []
  try {
    // One warm-up pair, not counted: first writes pay for page-cache and allocator growth.
    await backend.put('warmup', size, stream())
    await backend.delete('warmup')
    for (let round = 0; round < rounds; round++) {
      unverified.push(await throughput(size, () => backend.put(key, size, stream())))
      await backend.delete(key)
      verified.push(await throughput(size, () => blobs.put(digest, size, stream())))
      await backend.delete(key)
      sha.push(rawSha256(size))
      log(
        `  round ${round + 1}: unverified ${mibps(unverified.at(-1))}, verified ${mibps(verified.at(-1))}, ` +
          `raw sha2-256 ${mibps(sha.at(-1))}`,
      )
    }
  } finally {
    await backend.close()
    await rm(dir, { recursive: true, force: true })
  }
  return { unverified, verified, sha, ratio: median(verified) / median(unverified) }
}

export async function run({ quick, log }) {
  const size = (quick ? 64 : 256) * MiB
  const rounds = quick ? 3 : 7
  log(`flatfs, ${size / MiB} MiB, ${rounds} rounds (fsync off: the default)`)
  const plain = await compare({ size, rounds, fsync: false, log })
  log(`flatfs, ${size / MiB} MiB, ${rounds} rounds (fsync on)`)
  const durable = await compare({ size, rounds, fsync: true, log })
  const rawSha = median(plain.sha)
  const row = (label, values, note = '') => ({ label, median: median(values), samples: values, note })
  return {
    parameters: { sizeMiB: size / MiB, rounds, chunkMiB: 1 },
    rawSha256: rawSha,
    requirement: { ratio: plain.ratio, target: 0.8, met: plain.ratio >= 0.8 },
    rows: [
      row('raw sha2-256 (in memory, 1 MiB updates)', plain.sha, 'the ceiling of any verified put'),
      row('flatfs put, unverified', plain.unverified),
      row(
        'Blobstore.put, verified sha2-256',
        plain.verified,
        `ratio ${plain.ratio.toFixed(2)} (target >= 0.80)`,
      ),
      row('flatfs put, unverified, fsync', durable.unverified),
      row('Blobstore.put, verified, fsync', durable.verified, `ratio ${durable.ratio.toFixed(2)}`),
    ],
    ratios: {
      verifiedVsUnverified: plain.ratio,
      verifiedVsUnverifiedFsync: durable.ratio,
      verifiedVsRawSha256: median(plain.verified) / rawSha,
    },
  }
}
