// Installs the Debian packages the bench compares against or drives (nginx, wrk) when their binary
// is missing: `apt-get install -y --no-install-recommends <package>` as root (or with passwordless
// sudo), `apt-get update` first only when the install fails (package lists missing or stale).
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The first of `candidates` (absolute paths) that exists, or undefined. */
export const findBinary = (candidates) => candidates.find((path) => existsSync(path))

/**
 * The path of the binary `what` (first existing of `candidates`), installing the first of
 * `packages` that apt-get can install when none exists. Throws when nothing could be installed or
 * the binary is still missing afterwards. `log` reports what it does.
 */
export async function ensureBinary({ what, candidates, packages, log }) {
  const found = findBinary(candidates)
  if (found) return found
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n']
  const apt = async (...args) => {
    const [command, ...rest] = [...sudo, 'apt-get', ...args]
    await run(command, rest, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      maxBuffer: 64 * 1024 * 1024,
    })
  }
  const install = async () => {
    for (const pkg of packages) {
      try {
        await apt('install', '-y', '--no-install-recommends', pkg)
        return
      } catch (error) {
        const last = String(error.stderr ?? error.message)
          .trim()
          .split('\n')
          .at(-1)
        log(`  apt-get install ${pkg} failed: ${last}`)
      }
    }
    throw new Error(`apt-get install ${packages.join(' / ')} failed`)
  }
  log(`  ${what} not found: installing the Debian package (apt-get install -y ${packages[0]})`)
  try {
    await install()
  } catch {
    log('  apt-get update, then install again')
    await apt('update')
    await install()
  }
  const path = findBinary(candidates)
  if (!path) throw new Error(`${what} installed but not found in ${candidates.join(', ')}`)
  return path
}
