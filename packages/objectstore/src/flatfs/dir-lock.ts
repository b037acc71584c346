import { readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StoreLockedError } from '../errors.js'
import { isErrno } from '../fs.js'

/** The lock file a flatfs store keeps in its root while open: the holder's pid. */
export const LOCK_FILE = '.lock'

/** Whether process `pid` is alive: not gone, not a zombie (`/proc/<pid>/stat` where there is one). */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // `pid (comm) S …`: the state follows the last `)`.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false
  }
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return isErrno(error, 'EPERM')
  }
}

async function holderOf(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    if (isErrno(error, 'ENOENT')) return undefined
    throw error
  })
  const pid = Number(text?.trim())
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
}

/**
 * Takes the directory's lock: creates `<root>/.lock` exclusively with this process's pid. A lock
 * left by a process that is gone (killed, crashed) is taken over; one held by a live process,
 * this one included (two stores on one directory would break per-key serialisation), is refused.
 * Answers the function that releases it.
 * @throws {StoreLockedError} a live process holds the lock.
 */
export async function lockDirectory(root: string): Promise<() => Promise<void>> {
  const path = join(root, LOCK_FILE)
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 })
      return () => unlink(path).catch(() => {})
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error
    }
    const pid = await holderOf(path)
    // A file without a pid is being written by its creator, or was torn by a crash: retry once, then take it.
    if (pid !== undefined && (pid === process.pid || (await isAlive(pid))))
      throw new StoreLockedError(root, pid)
    if (pid === undefined && attempt === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      continue
    }
    if (attempt > 2) throw new StoreLockedError(root, pid)
    await unlink(path).catch((error: unknown) => {
      if (!isErrno(error, 'ENOENT')) throw error
    })
  }
}
