/**
 * What lives under `storage.dataDir` and which S3 buckets a node uses, per storage layout: the
 * names of its files, directories and buckets. Pure constants, so the CLI can find the auth token
 * without loading the container.
 * @packageDocumentation
 */

/** The file under `<dataDir>` holding the generated auth token (mode 0600). */
export const AUTH_TOKEN_FILE = 'auth-token'

/**
 * The record stores' LevelDB directories under `<dataDir>` (Piri's names, in both layouts; `cars`:
 * the CAR records, `labels`, `owners`, `gc`: strata's own).
 */
export const LEVEL_DIRS = {
  allocations: 'allocation',
  acceptances: 'acceptance',
  claims: 'claim',
  receipts: 'receipt',
  consolidations: 'consolidation',
  cars: 'cars',
  labels: 'labels',
  owners: 'owners',
  gc: 'gc',
} as const

/**
 * Directories under `<dataDir>` of the flatfs blobs, the block index (LevelDB), the keystore and the
 * journal (strata layout).
 */
export const LOCAL_DIRS = { blobs: 'blobs', blocks: 'blocks', wallet: 'wallet', journal: 'journal' } as const

/** The storage layouts `storage.layout` accepts. */
export const STORAGE_LAYOUTS = ['strata', 'piri'] as const

/** A storage layout: where each store lives on disk and in S3. */
export type StorageLayout = (typeof STORAGE_LAYOUTS)[number]

/** A node's stores that live on disk or in S3 (the local-only keystore and journal aside). */
export type LayoutStore = 'blobs' | keyof typeof LEVEL_DIRS

/** The names one layout gives the stores. */
export interface LayoutNames {
  /** Paths under `<dataDir>` (`/`-separated) of each store, the wallet and the journal. */
  dirs: Record<LayoutStore | 'blocks' | 'wallet' | 'journal', string>
  /** Each store's S3 bucket is `{bucketPrefix}{suffix}` (`blocks`: the CAR block index). */
  buckets: Record<LayoutStore | 'blocks', string>
}

/**
 * The names of each layout. `piri` is Piri v0.2.4's: directories from `pkg/config/repo.go`
 * (`RepoConfig.ToAppConfig`), buckets from `pkg/fx/store/s3/provider.go` (`NewStores`); see
 * docs/architecture.md, "The Piri layout".
 */
export const LAYOUTS: Readonly<Record<StorageLayout, LayoutNames>> = {
  strata: {
    dirs: { ...LEVEL_DIRS, ...LOCAL_DIRS },
    buckets: {
      blobs: 'blobs',
      allocations: 'allocations',
      acceptances: 'acceptances',
      claims: 'claims',
      receipts: 'receipts',
      consolidations: 'consolidations',
      cars: 'cars',
      blocks: 'blocks',
      labels: 'labels',
      owners: 'owners',
      gc: 'gc',
    },
  },
  piri: {
    dirs: {
      ...LEVEL_DIRS,
      blobs: 'pdp/datastore',
      blocks: 'blocks',
      wallet: 'wallet',
      journal: 'egress_tracker/journal',
    },
    buckets: {
      blobs: 'pdp',
      allocations: 'allocations',
      acceptances: 'acceptances',
      claims: 'claims',
      receipts: 'receipts',
      consolidations: 'consolidation',
      cars: 'cars',
      blocks: 'blocks',
      labels: 'labels',
      owners: 'owners',
      gc: 'gc',
    },
  },
}
