// What the bench started and must not leave behind: child processes (servers, wrk, upload
// clients) and temp dirs. When the bench is interrupted (SIGINT / SIGTERM) each child still
// running is sent its stop signal, by its pid, and each temp dir is removed, then the bench exits.
import { rmSync } from 'node:fs'

const children = new Map()
const dirs = new Set()
let installed = false

function install() {
  if (installed) return
  installed = true
  const abort = (signal) => {
    for (const [child, stopSignal] of children) {
      try {
        child.kill(stopSignal)
      } catch {}
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', abort)
  process.once('SIGTERM', abort)
}

/** Registers `child` (until it exits) to be sent `stopSignal` if the bench is interrupted. */
export function track(child, stopSignal = 'SIGTERM') {
  install()
  children.set(child, stopSignal)
  child.once('exit', () => children.delete(child))
  return child
}

/** Registers the temp dir `path` to be removed if the bench is interrupted; answers `path`. */
export function trackDir(path) {
  install()
  dirs.add(path)
  return path
}
