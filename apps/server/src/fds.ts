/**
 * The process's file-descriptor headroom: whether an error says descriptors ran out (`EMFILE`,
 * `ENFILE`), and a readiness probe that fails until headroom returns.
 * @packageDocumentation
 */
import { readdir } from 'node:fs/promises'
import { openFileLimit } from './http/connection-limits.js'

/** The errno codes of descriptor exhaustion: per process (`EMFILE`) and system-wide (`ENFILE`). */
export const FD_EXHAUSTION_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE'])

/** How long after an exhaustion is seen readiness stays false where open descriptors cannot be counted. */
const EXHAUSTION_MEMORY_MS = 5000

let lastExhaustion = Number.NEGATIVE_INFINITY

/**
 * Whether `error`, or an error in its `cause` chain, is a descriptor exhaustion. A match is
 * remembered (readiness fails for a while where descriptors cannot be counted).
 */
export function isFdExhaustion(error: unknown): boolean {
  for (let cause = error, depth = 0; cause !== undefined && cause !== null && depth < 8; depth++) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === 'string' && FD_EXHAUSTION_CODES.has(code)) {
      lastExhaustion = performance.now()
      return true
    }
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}

/** The descriptors kept free for readiness to say ready: 5 % of the limit, at least 32. */
export function fdReserve(limit: number): number {
  return Math.max(32, Math.ceil(limit / 20))
}

/**
 * A readiness probe of descriptor headroom: counts `/proc/self/fd` and fails when fewer than
 * {@link fdReserve} descriptors are left, or when it cannot count because none is left. Where
 * `/proc` is missing it fails for 5 s after an exhaustion was seen ({@link isFdExhaustion}).
 * @throws {Error} `no file descriptor headroom` (a fixed message).
 */
export async function fdHeadroomProbe(): Promise<void> {
  const limit = openFileLimit()
  let open: number
  try {
    open = (await readdir('/proc/self/fd')).length
  } catch (error) {
    if (isFdExhaustion(error) || performance.now() - lastExhaustion < EXHAUSTION_MEMORY_MS) {
      throw new Error('no file descriptor headroom')
    }
    return // no /proc: nothing more to know
  }
  if (limit !== undefined && open > limit - fdReserve(limit)) throw new Error('no file descriptor headroom')
}
