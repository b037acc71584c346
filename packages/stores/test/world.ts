/**
 * Everything the content-aware stores work with, wired as the server wires it, on one backend kind:
 * memory; flatfs + LevelDB; S3 (Ceph RGW). Records share one backend in namespaces of their own.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FlatfsKeyEncoder, VerifiedBlobStore } from '@strata/blobstore'
import { type BlockIndex, CarStore } from '@strata/car'
import { LevelBlockIndex } from '@strata/car/level'
import { MemoryBlockIndex } from '@strata/car/memory'
import { S3BlockIndex } from '@strata/car/s3'
import type { ObjectStore } from '@strata/objectstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { LevelObjectStore } from '@strata/objectstore/level'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { AcceptanceStore } from '@strata/stores/acceptance'
import { AllocationStore } from '@strata/stores/allocation'
import { ContentStore } from '@strata/stores/content'
import { Condemned, GarbageCollector, Lease, ReferenceGuard } from '@strata/stores/gc'
import { LabelStore } from '@strata/stores/label'
import { OwnerStore } from '@strata/stores/owner'
import { RepoStore } from '@strata/stores/repo'
import { createTestBucket, type S3TestSettings, type TestBucket } from '@strata/testkit'

/** The opened backends of a world and how to remove them. */
export interface Backends {
  blobs: ObjectStore
  records: ObjectStore
  index: BlockIndex
  /** The S3 layout: `NN/<base32>.data` blob keys and `.cbor` record keys. */
  s3?: boolean
  destroy(): Promise<void>
}

/** Settings of a world's collector and guard. */
export interface WorldOptions {
  graceMs?: number
  leaseMs?: number
  waitMs?: number
  targetBytes?: number
  /** The collector's clock (moved forward, blobs look older). */
  now?: () => number
}

/** Every store, wired. */
export function world(backends: Backends, options: WorldOptions = {}) {
  const { records } = backends
  const blobs = new VerifiedBlobStore({
    backend: backends.blobs,
    ...(backends.s3 ? { keyEncoder: new FlatfsKeyEncoder() } : {}),
  })
  const suffix = backends.s3 ? { keySuffix: '.cbor' } : {}
  const cars = new CarStore({ blobs, index: backends.index, records })
  const labels = new LabelStore({ backend: records, namespace: 'labels' })
  const acceptances = new AcceptanceStore({ backend: records, namespace: 'acceptances', ...suffix })
  const allocations = new AllocationStore({ backend: records, namespace: 'allocations', ...suffix })
  const condemned = new Condemned({ backend: records, prefix: 'gc/condemned/' })
  const guard = new ReferenceGuard({ blobs, cars, condemned, waitMs: options.waitMs ?? 10_000 })
  const owners = new OwnerStore({
    backend: records,
    namespace: 'owners',
    labels,
    acceptances,
    allocations,
    guard,
  })
  const lease = new Lease({ backend: records, key: 'gc/lease', durationMs: options.leaseMs ?? 30_000 })
  const gc = new GarbageCollector({
    blobs,
    cars,
    labels,
    owners,
    acceptances,
    allocations,
    condemned,
    lease,
    guard,
    graceMs: options.graceMs ?? 0,
    ...(options.targetBytes === undefined ? {} : { targetBytes: options.targetBytes }),
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  const content = new ContentStore({ blobs, labels, guard, owners })
  const repos = new RepoStore({ cars, labels, owners, guard })
  return {
    blobs,
    cars,
    labels,
    acceptances,
    allocations,
    condemned,
    guard,
    owners,
    lease,
    gc,
    content,
    repos,
  }
}

export type World = ReturnType<typeof world>

/** Memory everywhere. */
export async function memoryBackends(): Promise<Backends> {
  return {
    blobs: new MemoryObjectStore(),
    records: new MemoryObjectStore(),
    index: new MemoryBlockIndex(),
    destroy: async () => {},
  }
}

/** flatfs blobs, LevelDB records and block index, in a temp directory. */
export async function diskBackends(): Promise<Backends> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-world-'))
  const blobs = new FlatfsObjectStore({ path: join(dir, 'blobs') })
  const records = new LevelObjectStore({ path: join(dir, 'records') })
  const index = new LevelBlockIndex({ path: join(dir, 'car-index') })
  await Promise.all([blobs.open(), records.open(), index.open()])
  return {
    blobs,
    records,
    index,
    destroy: async () => {
      await Promise.all([blobs.close(), records.close(), index.close()])
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Three fresh buckets on the S3 test server: blobs, records, block index. */
export async function s3Backends(settings: S3TestSettings, label: string): Promise<Backends> {
  const buckets: TestBucket[] = []
  const open = async (name: string) => {
    const bucket = await createTestBucket(settings, `${label}-${name}`)
    buckets.push(bucket)
    const store = new MinioObjectStore({ client: bucket.client, bucket: bucket.name })
    await store.open()
    return store
  }
  const blobs = await open('blobs')
  const records = await open('records')
  const index = new S3BlockIndex({ backend: await open('index') })
  return {
    blobs,
    records,
    index,
    s3: true,
    destroy: async () => {
      for (const bucket of buckets) await bucket.destroy()
    },
  }
}
