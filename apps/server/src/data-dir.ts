/**
 * What lives under `storage.dataDir`: the names of its files and directories. Pure constants, so
 * the CLI can find the auth token without loading the container.
 * @packageDocumentation
 */

/** The file under `<dataDir>` holding the generated auth token (mode 0600). */
export const AUTH_TOKEN_FILE = 'auth-token'

/** The record stores' LevelDB directories under `<dataDir>` (Piri's names; `cars`: the CAR records). */
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

/** Directories under `<dataDir>` of the flatfs blobs, the block index (LevelDB), the keystore and the journal. */
export const LOCAL_DIRS = { blobs: 'blobs', blocks: 'blocks', wallet: 'wallet', journal: 'journal' } as const
