import { setMaxListeners } from 'node:events'
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'

/** The key probed on each object store: `has` of it must answer (true or false) in time. */
export const READINESS_PROBE_KEY = 'strata-readiness-probe'

/** Default bound of a readiness check, in milliseconds. */
export const DEFAULT_READINESS_TIMEOUT_MS = 2000

/** Options of a readiness check. */
export interface ReadinessOptions {
  /** The longest the whole check may take, in milliseconds (default 2000). */
  timeoutMs?: number
  /** Aborts the check (it then answers not ready). */
  signal?: AbortSignal
}

/** The result of one probe. */
export interface ProbeResult {
  ok: boolean
  /** How long it took, in milliseconds. */
  ms: number
  /**
   * Why it failed, as a fixed message (`timed out after N ms`, `not started`, `failed (ENOENT)`,
   * `failed (UnavailableError)`, …): never a path or host; absent when ok. The whole error goes to
   * the log once, when a probe starts failing or fails differently.
   */
  error?: string
}

/** Where a probe's real error is reported (a pino logger fits). */
export interface ReadinessLogger {
  warn(details: object, message: string): void
}

/** Messages of our own making, safe to show as they are. */
const FIXED_MESSAGES = [
  /^timed out after \d+ ms$/,
  /^aborted$/,
  /^not started$/,
  /^no file descriptor headroom$/,
]

/**
 * The public message of a probe failure: ours as they are; any other error by its errno code or
 * error name only (`failed (ENOENT)`), since its message may name a path or a host.
 */
export function publicProbeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  if (FIXED_MESSAGES.some((fixed) => fixed.test(message))) return message
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown }
  if (typeof code === 'string' && /^E[A-Z0-9]{1,20}$/.test(code)) return `failed (${code})`
  if (typeof name === 'string' && /^[A-Z][A-Za-z0-9]{0,40}$/.test(name) && name !== 'Error') {
    return `failed (${name})`
  }
  return 'failed'
}

/** What a readiness check answers (e.g. the body of `/readyz`). */
export interface ReadinessReport {
  /** Whether the container is started and every probe succeeded. */
  ready: boolean
  /** One entry per probe: `started`, each store, `keystore`, `journal`. */
  checks: Record<string, ProbeResult>
}

/** A named probe: resolves when the component answers, throws when it does not. */
export type Probe = (signal: AbortSignal) => Promise<unknown>

/** A readiness check, as registered in the container under `readiness`. */
export type Readiness = (options?: ReadinessOptions) => Promise<ReadinessReport>

/** A probe that the directory exists and is writable. */
export const writableDirProbe =
  (path: string): Probe =>
  () =>
    access(path, constants.W_OK)

async function runProbe(
  probe: Probe,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<ProbeResult & { cause?: unknown }> {
  const started = performance.now()
  const ms = () => Math.round(performance.now() - started)
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    const fail = () =>
      reject(
        new Error(
          signal.aborted && signal.reason?.name !== 'TimeoutError'
            ? 'aborted'
            : `timed out after ${timeoutMs} ms`,
        ),
      )
    if (signal.aborted) fail()
    signal.addEventListener('abort', fail, { once: true })
    timer = setTimeout(fail, timeoutMs)
  })
  // Observed even when the probe settles first, so a later abort never surfaces as unhandled.
  expired.catch(() => {})
  try {
    // A probe that throws synchronously becomes a rejection like any other.
    await Promise.race([Promise.resolve().then(() => probe(signal)), expired])
    return { ok: true, ms: ms() }
  } catch (error) {
    return { ok: false, ms: ms(), error: publicProbeError(error), cause: error }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Builds the readiness check: runs every probe concurrently, each bounded by `timeoutMs` (and
 * given an `AbortSignal` that fires then), so a check never takes much longer than `timeoutMs`,
 * even against an S3 endpoint that accepts connections and never answers. Never throws.
 * @param isStarted whether the container is started (a stopped container is never ready).
 * @param logger hears a probe's real error when it starts failing or fails differently.
 */
export function createReadiness(
  probes: Record<string, Probe>,
  isStarted: () => boolean,
  logger?: ReadinessLogger,
): Readiness {
  const failing = new Map<string, string>()
  return async (options = {}) => {
    const timeoutMs = options.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS
    const signal = options.signal
      ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs)
    setMaxListeners(Object.keys(probes).length * 4 + 10, signal) // every probe and its requests listen
    const checks: Record<string, ProbeResult> = {
      started: isStarted() ? { ok: true, ms: 0 } : { ok: false, ms: 0, error: 'not started' },
    }
    const names = Object.keys(probes)
    const results = await Promise.all(names.map((name) => runProbe(probes[name] as Probe, signal, timeoutMs)))
    names.forEach((name, i) => {
      const { cause, ...result } = results[i] as ProbeResult & { cause?: unknown }
      checks[name] = result
      const message = cause instanceof Error ? cause.message : result.error
      if (result.ok) failing.delete(name)
      else if (failing.get(name) !== message) {
        failing.set(name, message ?? '')
        logger?.warn({ probe: name, err: cause }, 'readiness probe failing')
      }
    })
    return { ready: Object.values(checks).every((check) => check.ok), checks }
  }
}
