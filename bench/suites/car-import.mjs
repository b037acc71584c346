import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { CarBlockIterator } from '@ipld/car'
import { VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { LevelBlockIndex } from '@strata/car/level'
import { S3BlockIndex } from '@strata/car/s3'
import { largeCar } from '@strata/car/testing/data'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { LevelObjectStore } from '@strata/objectstore/level'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { Client } from 'minio'
import { MiB, median, mibps, throughput } from '../lib/measure.mjs'

export const name = 'car-import'
export const description =
  'CarStore.importCar on flatfs + LevelDB vs @ipld/car CarBlockIterator + sha2-256 of each block (nothing stored); 130k-block import on S3'

const base = () => process.env.STRATA_BENCH_DIR ?? tmpdir()

/** Writes a generated CAR to a file, so that generating it is not timed. */
async function carFile(dir, label, options) {
  const car = largeCar(options)
  const path = join(dir, `${label}.car`)
  await pipeline(car.stream(), createWriteStream(path))
  return { path, size: car.size(), car }
}

/** The baseline: parse with @ipld/car and hash each block, storing nothing. */
async function baseline(path) {
  const blocks = await CarBlockIterator.fromIterable(createReadStream(path, { highWaterMark: MiB }))
  for await (const { bytes } of blocks) createHash('sha256').update(bytes).digest()
}

/** One import into a fresh flatfs + LevelDB directory (opened and removed outside the timing). */
async function strataImport(path, size) {
  const dir = await mkdtemp(join(base(), 'strata-bench-car-'))
  const flatfs = new FlatfsObjectStore({ path: join(dir, 'blobs') })
  const index = new LevelBlockIndex({ path: join(dir, 'car-index') })
  const records = new LevelObjectStore({ path: join(dir, 'car-records') })
  await Promise.all([flatfs.open(), index.open(), records.open()])
  const cars = new CarStore({ blobs: new VerifiedBlobStore({ backend: flatfs }), index, records })
  try {
    return await throughput(size, () =>
      cars.importCar(createReadStream(path, { highWaterMark: MiB }), { size }),
    )
  } finally {
    await Promise.all([flatfs.close(), index.close(), records.close()])
    await rm(dir, { recursive: true, force: true })
  }
}

async function compare({ label, file, rounds, log }) {
  const strata = []
  const reference = []
  await strataImport(file.path, file.size) // warm-up, not counted
  for (let round = 0; round < rounds; round++) {
    reference.push(await throughput(file.size, () => baseline(file.path)))
    strata.push(await strataImport(file.path, file.size))
    log(
      `  ${label} round ${round + 1}: baseline ${mibps(reference.at(-1))}, importCar ${mibps(strata.at(-1))}`,
    )
  }
  return { strata, reference, ratio: median(strata) / median(reference) }
}

/** The 130k-block import on S3, once, into fresh buckets (when STRATA_TEST_S3_* is set). */
async function s3Import(file, log) {
  const endpoint = process.env.STRATA_TEST_S3_ENDPOINT
  if (!endpoint || !process.env.STRATA_TEST_S3_ACCESS_KEY) return undefined
  const url = new URL(endpoint)
  const client = new Client({
    endPoint: url.hostname,
    port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    useSSL: url.protocol === 'https:',
    pathStyle: true,
    region: process.env.STRATA_TEST_S3_REGION || 'us-east-1',
    accessKey: process.env.STRATA_TEST_S3_ACCESS_KEY,
    secretKey: process.env.STRATA_TEST_S3_SECRET_KEY,
  })
  const stamp = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  const stores = ['blobs', 'index', 'records'].map(
    (store) => new MinioObjectStore({ client, bucket: `strata-bench-car-${store}-${stamp}` }),
  )
  await Promise.all(stores.map((store) => store.open()))
  const [blobs, index, records] = stores
  const cars = new CarStore({
    blobs: new VerifiedBlobStore({ backend: blobs }),
    index: new S3BlockIndex({ backend: index, concurrency: 64 }),
    records,
  })
  try {
    const started = process.hrtime.bigint()
    const result = await cars.importCar(createReadStream(file.path, { highWaterMark: MiB }), {
      size: file.size,
    })
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    log(`  S3: ${result.blocks} blocks in ${seconds.toFixed(1)} s`)
    return { seconds, blocks: result.blocks }
  } finally {
    for (const [store, bucket] of stores.map((store, at) => [
      store,
      `strata-bench-car-${['blobs', 'index', 'records'][at]}-${stamp}`,
    ])) {
      const keys = []
      for await (const key of store.list('')) keys.push(key)
      for (let at = 0; at < keys.length; at += 1000)
        await client.removeObjects(bucket, keys.slice(at, at + 1000))
      await client.removeBucket(bucket).catch(() => {})
    }
  }
}

export async function run({ quick, log }) {
  const dir = await mkdtemp(join(base(), 'strata-bench-cars-'))
  const rounds = quick ? 3 : 5
  try {
    const small = await carFile(dir, 'small', { leaves: quick ? 32_768 : 131_072, leafSize: 1024 })
    const large = await carFile(dir, 'large', {
      leaves: quick ? 256 : 1024,
      leafSize: 256 * 1024,
      leafCodec: 'raw',
    })
    log(`${(small.size / MiB).toFixed(0)} MiB of ~1 KiB dag-cbor blocks, ${rounds} rounds`)
    const ones = await compare({ label: '1 KiB', file: small, rounds, log })
    log(`${(large.size / MiB).toFixed(0)} MiB of 256 KiB raw blocks, ${rounds} rounds`)
    const big = await compare({ label: '256 KiB', file: large, rounds, log })
    const s3 = await s3Import(small, log)
    const row = (label, values, note = '', unit) => ({
      label,
      median: median(values),
      samples: values,
      note,
      unit,
    })
    const rows = [
      row('1 KiB blocks: CarBlockIterator + sha2-256 (baseline)', ones.reference),
      row(
        '1 KiB blocks: importCar, flatfs + LevelDB',
        ones.strata,
        `ratio ${ones.ratio.toFixed(2)} (target >= 0.80)`,
      ),
      row('256 KiB blocks: CarBlockIterator + sha2-256 (baseline)', big.reference),
      row(
        '256 KiB blocks: importCar, flatfs + LevelDB',
        big.strata,
        `ratio ${big.ratio.toFixed(2)} (target >= 0.80)`,
      ),
    ]
    if (s3) {
      rows.push(
        row(
          `importCar on S3, ${s3.blocks} blocks`,
          [s3.blocks / s3.seconds],
          `${s3.seconds.toFixed(1)} s`,
          'blocks/s',
        ),
      )
    }
    return {
      parameters: { smallMiB: small.size / MiB, largeMiB: large.size / MiB, rounds },
      requirement: {
        ratio1KiB: ones.ratio,
        ratio256KiB: big.ratio,
        target: 0.8,
        met: ones.ratio >= 0.8 && big.ratio >= 0.8,
      },
      s3,
      rows,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
