/**
 * What the server checks on disk before it trusts its data directory (issue 14, D7): the data dir,
 * `auth-token` and `wallet/` belong to the server's user and nobody else can write them; and
 * whether the data dir already holds a node (so a missing identity is a lost one, not a first
 * start).
 * @packageDocumentation
 */
import type { Stats } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AUTH_TOKEN_FILE, LEVEL_DIRS, LOCAL_DIRS } from '../data-dir.js'
import { UnsafeDataDirError } from '../errors.js'

/** The umask the server runs with: what it creates is `0700` (directories) or `0600` (files). */
export const PRIVATE_UMASK = 0o077

/**
 * Sets the process umask to {@link PRIVATE_UMASK}, whatever it was, so every directory and file
 * the server creates (LevelDB's included, which takes no mode) is private. Answers the previous
 * umask, or `undefined` where a umask cannot be set (a worker thread; Windows).
 */
export function applyPrivateUmask(): number | undefined {
  try {
    return process.umask(PRIVATE_UMASK)
  } catch {
    return undefined
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT'
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path)
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`

/**
 * @throws {UnsafeDataDirError} `found` is owned by another user than `uid`, or writable by group or
 *   others (mode bits `0o022`).
 */
export function assertTrusted(path: string, found: Stats, uid: number): void {
  if (found.uid !== uid) {
    throw new UnsafeDataDirError(path, `is owned by uid ${found.uid}, not by this process (uid ${uid})`)
  }
  if ((found.mode & 0o022) !== 0) {
    throw new UnsafeDataDirError(
      path,
      `is writable by group or others (mode ${octal(found.mode)}); run chmod go-w on it`,
    )
  }
}

/**
 * Checks the data dir, `wallet/` and every file in it, and (`withToken`) `auth-token`, where they
 * exist (a missing one is created private later). Skipped where the process has no uid (Windows).
 * @throws {UnsafeDataDirError} one of them is owned by another user or writable by group or others.
 */
export async function assertTrustedDataDir(dataDir: string, options: { withToken: boolean }): Promise<void> {
  const uid = process.geteuid?.()
  if (uid === undefined) return
  const dir = await statOrUndefined(dataDir)
  if (dir === undefined) return
  assertTrusted(dataDir, dir, uid)
  if (options.withToken) {
    const token = join(dataDir, AUTH_TOKEN_FILE)
    const found = await statOrUndefined(token)
    if (found !== undefined) assertTrusted(token, found, uid)
  }
  const wallet = join(dataDir, LOCAL_DIRS.wallet)
  const found = await statOrUndefined(wallet)
  if (found === undefined) return
  assertTrusted(wallet, found, uid)
  for (const name of await readdir(wallet)) {
    const path = join(wallet, name)
    const entry = await statOrUndefined(path)
    if (entry !== undefined) assertTrusted(path, entry, uid)
  }
}

/** The flatfs files that exist in an empty blob store. */
const FLATFS_METADATA = new Set(['SHARDING', '_README', '.temp', '.lock'])

/**
 * Whether `dataDir` holds a node that ran before: a record store's LevelDB directory, the
 * retrieval journal, or a blob in `blobs/`. Read before anything is created at start.
 */
export async function holdsPreviousNode(dataDir: string): Promise<boolean> {
  for (const name of [...Object.values(LEVEL_DIRS), LOCAL_DIRS.journal]) {
    if ((await statOrUndefined(join(dataDir, name))) !== undefined) return true
  }
  try {
    const entries = await readdir(join(dataDir, LOCAL_DIRS.blobs))
    return entries.some((name) => !FLATFS_METADATA.has(name))
  } catch (error) {
    if (isMissing(error)) return false
    throw error
  }
}
