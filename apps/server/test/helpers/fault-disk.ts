/**
 * A small disk for the full-disk fault test: a tmpfs of a few MiB mounted on a directory, by the
 * first mechanism that works here:
 *
 * 1. `mount` — `mount -t tmpfs` directly (root, as on this machine and in CI);
 * 2. `namespace` — a private user + mount namespace (`unshare -rm`) held open by a `sleep`
 *    process: the tmpfs is mounted inside it, the child servers are started in it (`nsenter`), and
 *    the test sees the files through `/proc/<holder>/root`. It lives as long as the holder.
 *
 * When neither works, {@link smallDisk} answers `undefined` and the caller says so.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'

/** A mounted small disk. */
export interface SmallDisk {
  mechanism: 'mount' | 'namespace'
  /** Wraps a child server's argv so that it sees the disk (for `startChild`). */
  wrap?: (argv: string[]) => string[]
  /** The path under which the test itself sees `path` (same path, or through `/proc/<pid>/root`). */
  view(path: string): string
  /** Unmounts (or ends the namespace). Idempotent, never throws. */
  release(): Promise<void>
}

/** Runs a command; resolves with its exit code (never rejects), stderr kept for messages. */
function run(command: string, args: string[], timeoutMs = 10_000): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs }, (error, _stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      resolve({ code, stderr: String(stderr) })
    })
  })
}

const tmpfsArgs = (dir: string, sizeMiB: number) => [
  '-t',
  'tmpfs',
  '-o',
  `size=${sizeMiB}m,mode=0755`,
  'tmpfs',
  dir,
]

async function byMount(dir: string, sizeMiB: number): Promise<SmallDisk | string> {
  const mounted = await run('mount', tmpfsArgs(dir, sizeMiB))
  if (mounted.code !== 0) return `mount: ${mounted.stderr.trim() || `exit ${mounted.code}`}`
  let released = false
  return {
    mechanism: 'mount',
    view: (path) => path,
    async release() {
      if (released) return
      released = true
      const out = await run('umount', [dir])
      if (out.code !== 0) {
        // Busy (a child still holds a file): detach it lazily so nothing stays mounted.
        const lazy = await run('umount', ['-l', dir])
        if (lazy.code !== 0) console.error(`umount ${dir} failed: ${out.stderr} ${lazy.stderr}`)
      }
    },
  }
}

async function byNamespace(dir: string, sizeMiB: number): Promise<SmallDisk | string> {
  const holder: ChildProcess = spawn('unshare', ['-rm', '--', 'sleep', '3600'], { stdio: 'ignore' })
  const failed = new Promise<string>((resolve) => {
    holder.once('error', (error) => resolve(`unshare: ${error.message}`))
    holder.once('exit', (code) => resolve(`unshare exited ${code}`))
  })
  // Let the holder enter its namespaces before joining them.
  const early = await Promise.race([
    failed,
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 200)),
  ])
  const pid = holder.pid
  if (early !== undefined || pid === undefined) return early ?? 'unshare: no pid'
  const enter = ['-t', String(pid), '-U', '-m', '--preserve-credentials', '--']
  const mounted = await run('nsenter', [...enter, 'mount', ...tmpfsArgs(dir, sizeMiB)])
  if (mounted.code !== 0) {
    holder.kill('SIGKILL')
    return `nsenter mount: ${mounted.stderr.trim() || `exit ${mounted.code}`}`
  }
  return {
    mechanism: 'namespace',
    wrap: (argv) => ['nsenter', ...enter, ...argv],
    view: (path) => `/proc/${pid}/root${path}`,
    async release() {
      if (holder.exitCode !== null || holder.signalCode !== null) return
      const gone = new Promise((resolve) => holder.once('exit', resolve))
      holder.kill('SIGKILL')
      await gone
    },
  }
}

/**
 * Mounts a `sizeMiB` tmpfs on the existing empty directory `dir` (see the module comment).
 * `STRATA_FAULT_DISK=namespace` skips the direct mount (to exercise the fallback).
 * @returns the disk, or `undefined` with the reasons logged when no mechanism works.
 */
export async function smallDisk(dir: string, sizeMiB: number): Promise<SmallDisk | undefined> {
  const reasons: string[] = []
  const attempts = process.env.STRATA_FAULT_DISK === 'namespace' ? [byNamespace] : [byMount, byNamespace]
  for (const attempt of attempts) {
    const disk = await attempt(dir, sizeMiB)
    if (typeof disk !== 'string') return disk
    reasons.push(disk)
  }
  console.warn(`no small disk possible here: ${reasons.join('; ')}`)
  return undefined
}
