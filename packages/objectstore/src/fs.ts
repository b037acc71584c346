import { open } from 'node:fs/promises'

/** Whether `error` is a Node system error with the given `code` (e.g. `ENOENT`). */
export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code
}

/** How a full disk reads in a message whose code was lost (LevelDB's `IO error: …`). */
const NO_SPACE_MESSAGE = /No space left on device|Disk quota exceeded|\bENOSPC\b|\bEDQUOT\b/

/**
 * Whether `error`, or an error in its `cause` chain, says the disk or the quota is full: `ENOSPC`
 * or `EDQUOT` by code, or by message where a library kept only the text (datastore-level's
 * `PutFailedError` carries LevelDB's `IO error: …: No space left on device`).
 */
export function isNoSpace(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (isErrno(cause, 'ENOSPC') || isErrno(cause, 'EDQUOT') || NO_SPACE_MESSAGE.test(cause.message)) {
      return true
    }
  }
  return false
}

/** fsyncs a file's data, or a directory so a rename into it survives a power loss. */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
