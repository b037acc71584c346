// S3 mode: strata's upload (allocate + presigned PUT, verified, streamed on to S3 as a multipart
// upload) and download (GET /blob) through the server in `s3` mode, against the `minio` client's
// `putObject` / `getObject` of the same bytes straight to the same Ceph RGW: the overhead of our
// layer. The S3 server comes from STRATA_TEST_S3_* or is started here (scripts/s3-server.sh) and
// then stopped again; the suite is skipped, with a note, when none can be had (no root/apt).
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { Client } from 'minio'
import { MiB, median, mibps, patternSource, throughput } from '../lib/measure.mjs'
import { acquireS3 } from '../lib/s3-env.mjs'
import { get, startStrata, strataDelete, strataUpload, zDigestOf } from '../lib/strata-server.mjs'

export const name = 's3'
export const description = 'strata PUT/GET in s3 mode vs the minio client straight to the same Ceph RGW'

function clientFor(settings) {
  const url = new URL(settings.endpoint)
  const useSSL = url.protocol === 'https:'
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: settings.accessKey,
    secretKey: settings.secretKey,
    region: settings.region,
    pathStyle: true,
  })
}

/** Drains a minio `getObject` stream; answers its byte count. */
async function drain(stream) {
  let bytes = 0
  for await (const chunk of stream) bytes += chunk.length
  return bytes
}

/** Empties and removes every bucket whose name starts with `prefix`; failures are logged, not thrown. */
async function removeBuckets(client, prefix, log) {
  const buckets = (await client.listBuckets())
    .map((bucket) => bucket.name)
    .filter((n) => n.startsWith(prefix))
  for (const bucket of buckets) {
    try {
      const names = []
      for await (const object of client.listObjectsV2(bucket, '', true))
        if (object.name) names.push(object.name)
      if (names.length > 0) await client.removeObjects(bucket, names)
      for await (const upload of client.listIncompleteUploads(bucket, '', true))
        await client.removeIncompleteUpload(bucket, upload.key)
      await client.removeBucket(bucket)
    } catch (error) {
      log(`could not remove bucket ${bucket}: ${error.message}`)
    }
  }
  return buckets
}

export async function run({ quick, log }) {
  const size = (quick ? 16 : 64) * MiB
  const rounds = quick ? 3 : 5
  const s3 = await acquireS3({ log })
  if (s3.error) {
    const note = `skipped: no S3 server (${s3.error})`
    log(note)
    return { skipped: note, rows: [{ label: 's3 mode', median: 0, samples: [], note }] }
  }
  const prefix = `strata-bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-`
  const direct = `${prefix}direct`
  const client = clientFor(s3.settings)
  const sides = { strataPut: [], minioPut: [], strataGet: [], minioGet: [] }
  let strata
  try {
    strata = await startStrata({
      STRATA_STORAGE_BACKEND: 's3',
      STRATA_STORAGE_S3_ENDPOINT: s3.settings.endpoint,
      STRATA_STORAGE_S3_REGION: s3.settings.region,
      STRATA_STORAGE_S3_ACCESS_KEY: s3.settings.accessKey,
      STRATA_STORAGE_S3_SECRET_KEY: s3.settings.secretKey,
      STRATA_STORAGE_S3_BUCKET_PREFIX: prefix,
    })
    await client.makeBucket(direct, s3.settings.region)
    log(
      `strata (s3 mode, pid ${strata.pid}, buckets ${prefix}*) at ${strata.url}; ${size / MiB} MiB, ${rounds} rounds`,
    )

    const warm = patternSource(4 * MiB)
    const warmZ = await zDigestOf(warm)
    await strataUpload(strata, warmZ, 4 * MiB, warm)
    await get(`${strata.url}/blob/${warmZ}`)
    await strataDelete(strata, warmZ)
    await client.putObject(direct, 'warmup', Readable.from(warm()), 4 * MiB)
    await drain(await client.getObject(direct, 'warmup'))
    await client.removeObject(direct, 'warmup')

    const source = patternSource(size)
    const z = await zDigestOf(source)
    const check = (bytes, what) => {
      if (bytes !== size) throw new Error(`${what}: ${bytes} bytes, expected ${size}`)
    }
    for (let round = 0; round < rounds; round++) {
      sides.strataPut.push(await throughput(size, () => strataUpload(strata, z, size, source)))
      sides.minioPut.push(
        await throughput(size, () => client.putObject(direct, 'blob', Readable.from(source()), size)),
      )
      sides.strataGet.push(
        await throughput(size, async () => check(await get(`${strata.url}/blob/${z}`), 'strata GET')),
      )
      sides.minioGet.push(
        await throughput(size, async () =>
          check(await drain(await client.getObject(direct, 'blob')), 'minio GET'),
        ),
      )
      await strataDelete(strata, z)
      await client.removeObject(direct, 'blob')
      log(
        `  round ${round + 1}: PUT strata ${mibps(sides.strataPut.at(-1))}, minio ${mibps(sides.minioPut.at(-1))}; ` +
          `GET strata ${mibps(sides.strataGet.at(-1))}, minio ${mibps(sides.minioGet.at(-1))}`,
      )
    }
  } finally {
    await strata?.stop()
    const removed = await removeBuckets(client, prefix, log).catch((error) => {
      log(`bucket clean-up failed: ${error.message}`)
      return []
    })
    log(`removed ${removed.length} buckets ${prefix}*`)
    await s3.release()
  }

  const row = (label, values, note = '') => ({ label, median: median(values), samples: values, note })
  const ratios = {
    put: median(sides.strataPut) / median(sides.minioPut),
    get: median(sides.strataGet) / median(sides.minioGet),
  }
  return {
    parameters: { sizeMiB: size / MiB, rounds, endpoint: s3.settings.endpoint, startedS3: s3.started },
    ratios,
    rows: [
      row(
        'PUT: minio putObject straight to RGW (baseline)',
        sides.minioPut,
        'minio default: one PUT up to 64 MiB (body buffered by the client)',
      ),
      row(
        'PUT: strata allocate + presigned PUT (verified) → RGW',
        sides.strataPut,
        `÷ minio ${ratios.put.toFixed(2)}; strata streams 8 MiB multipart parts`,
      ),
      row('GET: minio getObject straight from RGW (baseline)', sides.minioGet),
      row('GET: strata GET /blob ← RGW', sides.strataGet, `÷ minio ${ratios.get.toFixed(2)}`),
    ],
  }
}
