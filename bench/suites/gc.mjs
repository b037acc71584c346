// Garbage collection on flatfs + LevelDB, the filesystem deployment: 100k blobs (20k --quick) of
// 1 KiB, half held by an owner (memberships in LevelDB), half garbage older than the grace period.
// Timed in the same run: the floor of any sweep (list every blob and stat each, straight on
// FlatfsObjectStore), a dry run (mark, list, stat the unreferenced), and the real run (the dry run's
// work, then condemn, mark again, delete, unmark). Figures in ms.
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Base32KeyEncoder, VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { LevelBlockIndex } from '@strata/car/level'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { LevelObjectStore } from '@strata/objectstore/level'
import { Condemned, GarbageCollector, Lease, ReferenceGuard } from '@strata/stores/gc'
import { LabelStore } from '@strata/stores/label'
import { OwnerStore } from '@strata/stores/owner'
import { create as createDigest } from 'multiformats/hashes/digest'
import { tempDir } from '../lib/strata-server.mjs'

export const name = 'gc'
export const description =
  'GarbageCollector on flatfs + LevelDB, half of the blobs garbage: dry run and real run vs listing + stat of every blob'

const SIZE = 1024

async function timedMs(task) {
  const start = process.hrtime.bigint()
  const result = await task()
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result }
}

/** A flatfs + LevelDB store with `count` blobs, every other one held by an owner. */
async function populated(count, log) {
  const dir = await tempDir('gc')
  const flatfs = new FlatfsObjectStore({ path: join(dir, 'blobs') })
  const records = new LevelObjectStore({ path: join(dir, 'records') })
  const index = new LevelBlockIndex({ path: join(dir, 'car-index') })
  await Promise.all([flatfs.open(), records.open(), index.open()])
  const blobs = new VerifiedBlobStore({ backend: flatfs })
  const keys = new Base32KeyEncoder()
  const labels = new LabelStore({ backend: records, namespace: 'labels' })
  const owners = new OwnerStore({ backend: records, namespace: 'owners', labels })
  const template = Buffer.alloc(SIZE, 7)
  const started = Date.now()
  for (let i = 0; i < count; i++) {
    template.writeUInt32BE(i, 0)
    const digest = createDigest(0x12, createHash('sha256').update(template).digest())
    await flatfs.put(keys.encode(digest), SIZE, template) // setup only: the bytes do hash to the key
    if (i % 2 === 0) await owners.add('did:plc:bench', { digest, size: SIZE })
  }
  log(`  ${count} blobs written in ${((Date.now() - started) / 1000).toFixed(1)} s (not timed)`)
  const cars = new CarStore({ blobs, index, records })
  const condemned = new Condemned({ backend: records, prefix: 'gc/condemned/' })
  const guard = new ReferenceGuard({ blobs, cars, condemned })
  const gc = new GarbageCollector({
    blobs,
    cars,
    labels,
    owners,
    condemned,
    guard,
    lease: new Lease({ backend: records, key: 'gc/lease' }),
    graceMs: 0,
  })
  return {
    flatfs,
    gc,
    dispose: async () => {
      await Promise.all([flatfs.close(), records.close(), index.close()])
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export async function run({ quick, log }) {
  const count = quick ? 20_000 : 100_000
  const store = await populated(count, log)
  try {
    const floor = await timedMs(async () => {
      let listed = 0
      for await (const key of store.flatfs.list('')) {
        await store.flatfs.stat(key)
        listed++
      }
      return listed
    })
    log(`  list + stat of ${floor.result} blobs: ${floor.ms.toFixed(0)} ms`)
    const dry = await timedMs(() => store.gc.gc({ dryRun: true }))
    log(`  dry run: ${dry.ms.toFixed(0)} ms ${JSON.stringify(dry.result)}`)
    const real = await timedMs(() => store.gc.gc())
    log(`  real run: ${real.ms.toFixed(0)} ms ${JSON.stringify(real.result)}`)
    const perSecond = (ms) => `${((count / ms) * 1000).toFixed(0)} blobs/s`
    const row = (label, ms, note) => ({ label, median: ms, samples: [ms], note, unit: 'ms' })
    return {
      parameters: { blobs: count, blobSize: SIZE, garbage: real.result.deleted, unit: 'ms' },
      dryRun: dry.result,
      run: real.result,
      rows: [
        row(`list + stat every blob, ${count} blobs (floor of a sweep)`, floor.ms, perSecond(floor.ms)),
        row(
          `gc dry run, ${count} blobs, ${count / 2} referenced`,
          dry.ms,
          `${perSecond(dry.ms)}; ratio ${(dry.ms / floor.ms).toFixed(2)} of the floor`,
        ),
        row(
          `gc, ${count} blobs, deleting ${real.result.deleted}`,
          real.ms,
          `${perSecond(real.ms)}; ratio ${(real.ms / floor.ms).toFixed(2)} of the floor`,
        ),
      ],
    }
  } finally {
    await store.dispose()
  }
}
