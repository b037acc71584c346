import { open } from 'node:fs/promises'

/** Whether `error` is a Node system error with the given `code` (e.g. `ENOENT`). */
export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code
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
