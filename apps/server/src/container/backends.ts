/**
 * The storage backends per `storage.backend` (see docs/architecture.md, "Deployments"). The only module, with its
 * siblings in `container/`, that imports backend classes.
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Base32KeyEncoder, FlatfsKeyEncoder, type KeyEncoder, PlainKeyEncoder } from '@strata/blobstore'
import type { BlockIndex } from '@strata/car'
import { LevelBlockIndex } from '@strata/car/level'
import { MemoryBlockIndex } from '@strata/car/memory'
import { S3BlockIndex } from '@strata/car/s3'
import { type KeyStore, LevelKeyStore, MemoryKeyStore } from '@strata/local/keystore'
import type { ObjectStore } from '@strata/objectstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { LevelObjectStore } from '@strata/objectstore/level'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { MinioObjectStore, type SweepResult } from '@strata/objectstore/minio'
import { Client } from 'minio'
import { BUCKET_SUFFIXES, type Config, type S3Config, type StorageBackend } from '../config/schema.js'
import { LEVEL_DIRS, LOCAL_DIRS } from '../data-dir.js'
import type { Resource } from './lifecycle.js'

/** A store name: also the S3 bucket suffix. */
export type StoreName = Exclude<(typeof BUCKET_SUFFIXES)[number], 'blocks'>

/**
 * The object stores of a node, one per store (each also names its S3 bucket's suffix). The block
 * index (`blocks`) is not among them: it is a `BlockIndex` (LevelDB on disk; on S3 over its own
 * bucket, `{bucketPrefix}blocks`).
 */
export const STORE_NAMES: readonly StoreName[] = BUCKET_SUFFIXES.filter(
  (name): name is StoreName => name !== 'blocks',
)

/** The object stores and local stores of one backend, not yet opened. */
export interface BackendSet {
  kind: StorageBackend
  /** One object store per store name. */
  stores: Record<StoreName, ObjectStore>
  /** The CAR store's block → location index (its records are in `stores.cars`). */
  blockIndex: BlockIndex
  /** How blob digests become keys of `stores.blobs`. */
  blobKeyEncoder: KeyEncoder
  /** `keySuffix` of the DAG-CBOR record stores (`.cbor` on S3, as in Piri). */
  recordKeySuffix: string
  keystore: KeyStore
  /** The retrieval journal's directory. */
  journalPath: string
  /** Where each store lives (bucket or directory), for logs and readiness reports. */
  locations: Record<StoreName | 'blocks' | 'keystore' | 'journal', string>
  /** What to open at start, in order (the journal excluded); closed in reverse. */
  resources: Resource[]
  /**
   * Clean-up to run once everything is open: on S3, aborts each bucket's stale incomplete
   * multipart uploads (`storage.s3.abortIncompleteUploadsAfterMs`); answers what it did per store.
   */
  sweep?: () => Promise<Partial<Record<StoreName, SweepResult>>>
}

/** A record with one entry per store. */
function byStore<T>(make: (name: StoreName) => T): Record<StoreName, T> {
  const out: Partial<Record<StoreName, T>> = {}
  for (const name of STORE_NAMES) out[name] = make(name)
  return out as Record<StoreName, T>
}

const storeResource = (name: string, store: { open(): Promise<void>; close(): Promise<void> }): Resource => ({
  name,
  open: () => store.open(),
  close: () => store.close(),
})

const dataDirResource = (dataDir: string): Resource => ({
  name: `data directory ${dataDir}`,
  open: async () => {
    // 0700 whatever the umask (the server also sets its umask to 0077 before opening anything)
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
  },
  close: async () => {},
})

/**
 * Everything in memory; the journal (which needs files) goes to a fresh directory under the OS
 * temp dir, removed at stop. `storage.dataDir` is not touched.
 */
function memoryBackend(): BackendSet {
  const stores = byStore<ObjectStore>(() => new MemoryObjectStore())
  const journalPath = join(tmpdir(), `strata-journal-${randomUUID()}`)
  const keystore = new MemoryKeyStore()
  return {
    kind: 'memory',
    stores,
    blockIndex: new MemoryBlockIndex(),
    blobKeyEncoder: new PlainKeyEncoder(),
    recordKeySuffix: '',
    keystore,
    journalPath,
    locations: {
      ...byStore(() => 'memory'),
      blocks: 'memory',
      keystore: 'memory',
      journal: journalPath,
    },
    resources: [
      // Closed after the journal: removes its temporary directory.
      {
        name: `journal temp dir ${journalPath}`,
        open: async () => {},
        close: () => rm(journalPath, { recursive: true, force: true }),
      },
      ...STORE_NAMES.map((name) => storeResource(`${name} (memory)`, stores[name])),
      storeResource('keystore (memory)', keystore),
    ],
  }
}

/** flatfs blobs at `<dataDir>/blobs`, LevelDB records at `<dataDir>/{allocation,…}`. */
function filesystemBackend(config: Config): BackendSet {
  const { dataDir, fsync } = config.storage
  const blobsPath = join(dataDir, LOCAL_DIRS.blobs)
  // 64 KiB reads: the chunks downloads hold (see RESPONSE_CHUNK_BYTES); one read answers a range up to it.
  const blobs = new FlatfsObjectStore({ path: blobsPath, fsync, readChunkSize: 64 * 1024 })
  const resources: Resource[] = [
    dataDirResource(dataDir),
    storeResource(`blobs (flatfs ${blobsPath})`, blobs),
  ]
  const locations = byStore((name) => (name === 'blobs' ? blobsPath : join(dataDir, LEVEL_DIRS[name])))
  const stores = byStore<ObjectStore>((name) => {
    if (name === 'blobs') return blobs
    const path = locations[name]
    const store = new LevelObjectStore({ path })
    resources.push(storeResource(`${name} (leveldb ${path})`, store))
    return store
  })
  const blocksPath = join(dataDir, LOCAL_DIRS.blocks)
  const blockIndex = new LevelBlockIndex({ path: blocksPath })
  resources.push(storeResource(`blocks (leveldb ${blocksPath})`, blockIndex))
  return {
    kind: 'filesystem',
    stores,
    blockIndex,
    blobKeyEncoder: new Base32KeyEncoder(),
    recordKeySuffix: '',
    ...localStores(config, resources, { ...locations, blocks: blocksPath }),
  }
}

/** The keystore and journal on local disk, under `<dataDir>` (filesystem and s3 backends). */
function localStores(
  config: Config,
  resources: Resource[],
  locations: Record<StoreName | 'blocks', string>,
): Pick<BackendSet, 'keystore' | 'journalPath' | 'locations' | 'resources'> {
  const walletPath = join(config.storage.dataDir, LOCAL_DIRS.wallet)
  const journalPath = join(config.storage.dataDir, LOCAL_DIRS.journal)
  const keystore = new LevelKeyStore({ path: walletPath })
  return {
    keystore,
    journalPath,
    locations: { ...locations, keystore: walletPath, journal: journalPath },
    resources: [...resources, storeResource(`keystore (leveldb ${walletPath})`, keystore)],
  }
}

/**
 * A minio `Client` for the configured endpoint. Retries are off (minio would log them with
 * `console.warn`); failures surface as `UnavailableError`.
 */
export function s3Client(s3: S3Config): Client {
  const url = new URL(s3.endpoint)
  const useSSL = url.protocol === 'https:'
  return new Client({
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    pathStyle: s3.pathStyle,
    region: s3.region,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    retryOptions: { disableRetry: true },
  })
}

/**
 * `storage.s3` as validated for the s3 backend.
 * @throws {Error} when a required key is missing (the schema prevents it).
 */
export function s3Settings(config: Config): S3Config {
  const { s3 } = config.storage
  const { endpoint, accessKey, secretKey } = s3
  if (endpoint === undefined || accessKey === undefined || secretKey === undefined) {
    throw new Error('storage.s3.endpoint, accessKey and secretKey are required for the s3 backend')
  }
  return { ...s3, endpoint, accessKey, secretKey }
}

/** One bucket per store, `{bucketPrefix}{store}`; keystore and journal under `<dataDir>`. */
function s3Backend(config: Config): BackendSet {
  const s3 = s3Settings(config)
  const client = s3Client(s3)
  const resources: Resource[] = [dataDirResource(config.storage.dataDir)]
  const locations = byStore((name) => `s3://${s3.bucketPrefix}${name}`)
  const stores = byStore((name) => {
    const bucket = `${s3.bucketPrefix}${name}`
    const store = new MinioObjectStore({
      client,
      bucket,
      requestTimeoutMs: s3.requestTimeoutMs,
      maxBufferedBytes: s3.maxBufferedBytes,
    })
    resources.push(storeResource(`${name} (s3 bucket ${bucket})`, store))
    return store
  })
  const blocksBucket = `${s3.bucketPrefix}blocks`
  const blocks = new MinioObjectStore({ client, bucket: blocksBucket, requestTimeoutMs: s3.requestTimeoutMs })
  resources.push(storeResource(`blocks (s3 bucket ${blocksBucket})`, blocks))
  const sweep = async () => {
    const olderThan = new Date(Date.now() - s3.abortIncompleteUploadsAfterMs)
    const results = await Promise.all(
      STORE_NAMES.map((name) => stores[name].abortIncompleteUploads(olderThan)),
    )
    return Object.fromEntries(STORE_NAMES.map((name, i) => [name, results[i]]))
  }
  return {
    kind: 's3',
    stores,
    blockIndex: new S3BlockIndex({ backend: blocks }),
    sweep,
    blobKeyEncoder: new FlatfsKeyEncoder(),
    recordKeySuffix: '.cbor',
    ...localStores(config, resources, { ...locations, blocks: `s3://${blocksBucket}` }),
  }
}

/** Builds (without I/O) the stores of `config.storage.backend`. */
export function createBackend(config: Config): BackendSet {
  switch (config.storage.backend) {
    case 'memory':
      return memoryBackend()
    case 'filesystem':
      return filesystemBackend(config)
    case 's3':
      return s3Backend(config)
  }
}
