import type { SignatureV4 } from '@smithy/signature-v4'
import { VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { RetrievalJournal } from '@strata/local/journal'
import type { KeyStore } from '@strata/local/keystore'
import { AcceptanceStore, type Acceptances } from '@strata/stores/acceptance'
import { AllocationStore, type Allocations } from '@strata/stores/allocation'
import { ClaimStore, type Claims } from '@strata/stores/claim'
import { ConsolidationStore, type Consolidations } from '@strata/stores/consolidation'
import { ContentStore } from '@strata/stores/content'
import { Condemned, GarbageCollector, Lease, ReferenceGuard } from '@strata/stores/gc'
import { LabelStore } from '@strata/stores/label'
import { OwnerStore } from '@strata/stores/owner'
import { ReceiptStore, type Receipts } from '@strata/stores/receipt'
import { RepoStore } from '@strata/stores/repo'
import {
  type AwilixContainer,
  asFunction,
  asValue,
  createContainer as createAwilixContainer,
  InjectionMode,
  Lifetime,
} from 'awilix'
import { type Logger, pino } from 'pino'
import type { Config, StorageBackend } from '../config/schema.js'
import { LAYOUTS } from '../data-dir.js'
import { fdHeadroomProbe } from '../fds.js'
import type { NodeIdentity } from '../identity/index.js'
import { UploadAdmission } from '../upload-admission.js'
import { type AuthTokenSource, generateAuthToken, persistentAuthToken } from './auth-token.js'
import { type BackendSet, createBackend, STORE_NAMES } from './backends.js'
import { gcLoop } from './gc-loop.js'
import { identityResource } from './identity-resource.js'
import { Lifecycle, type Resource } from './lifecycle.js'
import {
  createReadiness,
  type Probe,
  READINESS_PROBE_BLOCK,
  READINESS_PROBE_KEY,
  type Readiness,
  writableDirProbe,
} from './readiness.js'
import { assertTrustedDataDir, holdsPreviousNode } from './trusted-paths.js'

/** What the container holds, resolved by name (`container.cradle.blobs`, or injected, PROXY mode). */
export interface Cradle {
  /** The validated configuration. */
  config: Config
  /** The pino logger (the one passed in, or `pino({ level: config.log.level, name: 'strata' })`). */
  logger: Logger
  /** The blob store over the selected backend. */
  blobs: VerifiedBlobStore
  allocations: Allocations
  acceptances: Acceptances
  /** Claims (Piri's claim store). */
  claims: Claims
  receipts: Receipts
  consolidations: Consolidations
  /**
   * CAR-aware storage over `blobs`: CAR import, verified block reads, CAR export. Its block index
   * and records are in the backend's `blocks` and `cars` stores.
   */
  cars: CarStore
  /** Labels, raw (reads); writes go through `content`, which checks them against garbage collection. */
  labels: LabelStore
  /** Labels with their checks, and Theater's content operations. */
  content: ContentStore
  /** Owners (DIDs): memberships, owned labels, wipes. */
  owners: OwnerStore
  /** ATProto repos: CAR imports moving a head with compare-and-swap. */
  repos: RepoStore
  /** The garbage collector (`POST /gc`, and every `gc.intervalMs`). */
  gc: GarbageCollector
  /** What every reference written is confirmed with. */
  guard: ReferenceGuard
  /** Named private keys, always local (LevelDB at `<dataDir>/wallet`; memory in memory mode). */
  keystore: KeyStore
  /** The retrieval journal, always local. */
  journal: RetrievalJournal
  /** Probes every store, bounded in time; for `/readyz`. Never throws. */
  readiness: Readiness
  /** The node identity (DID, signer, presign credentials), loaded from the keystore at start. */
  identity: NodeIdentity
  /** The SigV4 signer of presigned upload URLs, from the identity's credentials; available once started. */
  signer: SignatureV4
  /** Which uploads may write now: one per digest, a budget of declared bytes, the disk's free space. */
  uploads: UploadAdmission
  /**
   * The bearer token of the mutating routes. Resolving it before `start()` throws: when
   * `server.authToken` is unset it is read from (or generated into) `<dataDir>/auth-token` at start.
   */
  authToken: string
}

/** Options for {@link createContainer}. */
export interface CreateContainerOptions {
  /** Logger to use (default: a new pino logger at `config.log.level`). */
  logger?: Logger
}

/** The server's DI container and its lifecycle. */
export interface StrataContainer {
  /** The awilix container (PROXY injection mode): register HTTP handlers against it. */
  container: AwilixContainer<Cradle>
  /** Shorthand for `container.cradle`. */
  cradle: Cradle
  /** The backend in use (only for logs: nothing else should branch on it). */
  backend: StorageBackend
  /** Where each store lives (directory, `s3://bucket` or `memory`). */
  locations: Readonly<Record<string, string>>
  /**
   * Opens everything in order: data dir, object stores (creating buckets on S3), LevelDB
   * datastores, keystore, journal, auth token. Idempotent. On failure, closes what was opened.
   * @throws {StartupError} naming the resource that failed (its error as `cause`).
   */
  start(): Promise<void>
  /**
   * Closes everything in reverse order, continuing past failures; then start() may be called again.
   * @throws {ShutdownError} (an `AggregateError`) listing every close that failed.
   */
  stop(): Promise<void>
}

/** The retrieval journal of the backend's local directory; it logs rotations and background errors. */
function journalOf(config: Config, backend: BackendSet, logger: Logger): RetrievalJournal {
  return new RetrievalJournal({
    path: backend.journalPath,
    maxBatchSize: config.journal.maxBatchSize,
    rotateInterval: config.journal.rotateInterval,
    fsync: config.storage.fsync,
    onRotate: (batch, cause) => logger.info({ batch: batch.toString(), cause }, 'retrieval journal rotated'),
    onError: (error) => logger.warn({ err: error }, 'retrieval journal background error'),
  })
}

/**
 * The start-up clean-up of what interrupted writes left: incomplete multipart uploads (S3) and the
 * blob store's staging objects. On S3 other instances may be writing, so only left-overs older than
 * `storage.s3.abortIncompleteUploadsAfterMs` go; on disk and in memory one process owns the store,
 * so every left-over goes. A failure is logged (a warning), never fatal.
 */
async function sweepOnce(
  backend: BackendSet,
  blobs: VerifiedBlobStore,
  config: Config,
  logger: Logger,
): Promise<void> {
  const olderThan = new Date(
    Date.now() - (backend.kind === 's3' ? config.storage.s3.abortIncompleteUploadsAfterMs : 0),
  )
  try {
    if (backend.sweep) logger.info({ aborted: await backend.sweep() }, 'stale incomplete uploads swept')
    const staging = await blobs.sweepStaging(olderThan)
    if (staging.removed > 0) logger.info({ staging }, 'stale staging objects swept')
  } catch (error) {
    logger.warn({ err: error }, 'could not sweep stale uploads; retried at next start')
  }
}

/**
 * The content-aware stores over the backend's object stores: CARs, labels, owners, repos, and the
 * garbage collector with the guard every reference writer confirms with (see `@strata/stores/gc`).
 */
function contentStores(config: Config, backend: BackendSet, blobs: VerifiedBlobStore) {
  const { stores } = backend
  const suffix = backend.recordKeySuffix === '' ? {} : { keySuffix: backend.recordKeySuffix }
  const allocations = new AllocationStore({ backend: stores.allocations, ...suffix })
  const acceptances = new AcceptanceStore({ backend: stores.acceptances, ...suffix })
  // the gateway and block reads ask the index for hot blocks: their locations are kept
  const cars = new CarStore({
    blobs,
    index: backend.blockIndex,
    records: stores.cars,
    locationCacheSize: 32_768,
  })
  const labels = new LabelStore({ backend: stores.labels })
  const condemned = new Condemned({ backend: stores.gc })
  const guard = new ReferenceGuard({ blobs, cars, condemned })
  const owners = new OwnerStore({ backend: stores.owners, labels, acceptances, allocations, guard })
  const gc = new GarbageCollector({
    blobs,
    cars,
    labels,
    owners,
    acceptances,
    allocations,
    condemned,
    guard,
    lease: new Lease({ backend: stores.gc, durationMs: config.gc.leaseMs }),
    graceMs: config.gc.graceMs,
    targetBytes: config.gc.targetBytes,
  })
  const content = new ContentStore({ blobs, labels, guard, owners })
  const repos = new RepoStore({ cars, labels, owners, guard })
  return { allocations, acceptances, cars, labels, guard, owners, gc, content, repos }
}

/** Finishes the owner wipes an earlier process left half done (roll forward); a failure is logged. */
async function finishWipes(owners: OwnerStore, logger: Logger): Promise<void> {
  try {
    const finished = await owners.finishWipes()
    if (finished.length > 0) logger.info({ owners: finished }, 'interrupted owner wipes finished')
  } catch (error) {
    logger.warn({ err: error }, 'could not finish interrupted owner wipes; retried at next start')
  }
}

/**
 * Builds the container for `config.storage.backend` without any I/O: every store is constructed,
 * nothing is opened until {@link StrataContainer.start}. This is the only module (with
 * `./backends.ts`) that knows which backend classes exist.
 *
 * Injection mode is PROXY: a factory registered later receives the cradle and destructures what
 * it needs (`asFunction(({ blobs, allocations }) => …)`), which survives minification, unlike
 * CLASSIC's parameter-name parsing. Everything registered here is a singleton value, except
 * `authToken` (resolved at each access, so it is available only once started).
 * @throws {Error} only for an invalid `config` that bypassed `loadConfig` (e.g. s3 without keys).
 */
export function createContainer(config: Config, options: CreateContainerOptions = {}): StrataContainer {
  const logger = options.logger ?? pino({ level: config.log.level, name: 'strata' })
  const backend = createBackend(config)
  const { stores } = backend
  const suffix = backend.recordKeySuffix === '' ? {} : { keySuffix: backend.recordKeySuffix }
  const journal = journalOf(config, backend, logger)

  let token: { value: string; source: AuthTokenSource } | undefined
  const authResource: Resource = {
    name: 'auth token',
    open: async () => {
      if (config.server.authToken !== undefined) {
        token = { value: config.server.authToken, source: 'config' }
      } else if (backend.kind === 'memory') {
        token = { value: generateAuthToken(), source: 'ephemeral' }
        logger.warn(
          { authToken: token.value },
          'server.authToken unset: using an ephemeral token for this process',
        )
      } else {
        const found = await persistentAuthToken(config.storage.dataDir)
        token = { value: found.token, source: found.source }
        logger.info({ path: found.path, source: found.source }, 'auth token loaded (server.authToken unset)')
      }
    },
    close: async () => {
      token = undefined
    },
  }
  // Before anything is created: the data dir, wallet and token file are trusted only when they are
  // the server user's and nobody else can write them; and whether a node ran here before.
  let previousNode = false
  const guardResource: Resource = {
    name: 'data directory checks',
    open: async () => {
      const { dataDir } = config.storage
      await assertTrustedDataDir(dataDir, { withToken: config.server.authToken === undefined })
      previousNode = await holdsPreviousNode(dataDir, LAYOUTS[config.storage.layout].dirs)
    },
    close: async () => {},
  }
  const identity = identityResource({
    config,
    logger,
    keystore: backend.keystore,
    walletPath: backend.locations.keystore,
    previousNode: () => previousNode,
  })
  const started = <T>(what: string, value: () => T | undefined): T => {
    const found = value()
    if (found === undefined) throw new Error(`${what} is available once the container is started`)
    return found
  }
  const journalResource: Resource = {
    name: `journal ${backend.journalPath}`,
    open: () => journal.open(),
    close: () => journal.close(),
  }
  const blobs = new VerifiedBlobStore({ backend: stores.blobs, keyEncoder: backend.blobKeyEncoder })
  const content = contentStores(config, backend, blobs)
  const collection = gcLoop({ gc: content.gc, intervalMs: config.gc.intervalMs, logger })
  const lifecycle = new Lifecycle(
    [
      ...(backend.kind === 'memory' ? [] : [guardResource]),
      ...backend.resources,
      identity,
      journalResource,
      authResource,
      collection,
    ],
    logger,
  )

  const probes: Record<string, Probe> = {}
  for (const name of STORE_NAMES) {
    probes[name] = (signal) => stores[name].has(READINESS_PROBE_KEY, { signal })
  }
  // a lookup of a block no CAR holds: one LevelDB seek, one S3 LIST
  probes.blocks = (signal) => backend.blockIndex.has(READINESS_PROBE_BLOCK, { signal })
  probes.keystore = (signal) => backend.keystore.has('readiness-probe', { signal })
  probes.journal = writableDirProbe(backend.journalPath)
  probes.files = fdHeadroomProbe

  const container = createAwilixContainer<Cradle>({ injectionMode: InjectionMode.PROXY, strict: true })
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    blobs: asValue(blobs),
    allocations: asValue(content.allocations),
    acceptances: asValue(content.acceptances),
    cars: asValue(content.cars),
    labels: asValue(content.labels),
    content: asValue(content.content),
    owners: asValue(content.owners),
    repos: asValue(content.repos),
    gc: asValue(content.gc),
    guard: asValue(content.guard),
    claims: asValue(new ClaimStore({ backend: stores.claims })),
    receipts: asValue(new ReceiptStore({ backend: stores.receipts, ...backend.receiptOptions })),
    consolidations: asValue(
      new ConsolidationStore({
        backend: stores.consolidations,
        ...suffix,
        readLegacy: backend.readLegacyConsolidations,
      }),
    ),
    keystore: asValue(backend.keystore),
    journal: asValue(journal),
    readiness: asValue(createReadiness(probes, () => lifecycle.started, logger)),
    uploads: asValue(
      new UploadAdmission({
        maxInflightBytes: config.server.maxInflightUploadBytes,
        diskPath: backend.kind === 'filesystem' ? backend.locations.blobs : undefined,
        diskReserveBytes: config.server.diskReserveBytes,
        waitMs: Math.floor(config.server.idleTimeoutMs / 2),
      }),
    ),
    identity: asFunction(() => started('identity', () => identity.current()?.identity), {
      lifetime: Lifetime.TRANSIENT,
    }),
    signer: asFunction(() => started('signer', () => identity.current()?.signer), {
      lifetime: Lifetime.TRANSIENT,
    }),
    authToken: asFunction(() => started('authToken', () => token?.value), { lifetime: Lifetime.TRANSIENT }),
  })

  return {
    container,
    cradle: container.cradle,
    backend: backend.kind,
    locations: Object.freeze({ ...backend.locations }),
    async start() {
      await lifecycle.start()
      logger.info({ backend: backend.kind, locations: backend.locations }, 'storage opened')
      await sweepOnce(backend, blobs, config, logger)
      await finishWipes(content.owners, logger)
    },
    async stop() {
      await lifecycle.stop()
      logger.info({ backend: backend.kind }, 'storage closed')
    },
  }
}
