/**
 * What lives under `storage.dataDir`: the names of its files and directories. Pure constants, so
 * the CLI can find the auth token without loading the container.
 * @packageDocumentation
 */

/** The file under `<dataDir>` holding the generated auth token (mode 0600). */
export const AUTH_TOKEN_FILE = 'auth-token'

/** The record stores' LevelDB directories under `<dataDir>` (Piri's names). */
export const LEVEL_DIRS = {
  allocations: 'allocation',
  acceptances: 'acceptance',
  claims: 'claim',
  receipts: 'receipt',
  consolidations: 'consolidation',
  labels: 'labels',
  owners: 'owners',
  gc: 'gc',
  'car-records': 'car-records',
} as const

/**
 * Directories under `<dataDir>` of the flatfs blobs, the keystore, the journal and the CAR block
 * index (a LevelDB of its own, binary keys).
 */
export const LOCAL_DIRS = {
  blobs: 'blobs',
  wallet: 'wallet',
  journal: 'journal',
  carIndex: 'car-index',
} as const
