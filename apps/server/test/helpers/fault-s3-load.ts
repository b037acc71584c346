/**
 * A loop of client requests against a child server for the S3 outage test: range and full GETs,
 * HEADs, allocations and presigned PUTs, run by a few workers until stopped, each request recorded
 * with the phase of the outage it started in, its status, latency and error name.
 */
import { randomBytes } from 'node:crypto'
import type { Allocation } from './e2e-helpers.js'
import { send, zDigest } from './e2e-helpers.js'

/** Where the outage is when a request starts. */
export type Phase = 'up' | 'stopping' | 'down' | 'after'

/** One request of the loop. */
export interface Outcome {
  kind: 'range' | 'get' | 'head' | 'allocate' | 'put'
  phase: Phase
  /** HTTP status, 0 when no answer came. */
  status: number
  ms: number
  /** The `Retry-After` header, if any. */
  retryAfter?: string
  /** `error.name` of a JSON error body, if any. */
  errorName?: string
  /** Why no answer came (a client-side timeout or a connection error). */
  error?: string
}

/** A blob the loop reads (`stored`) or uploads (`pending`). */
export interface LoadBlob {
  bytes: Buffer
  z: string
}

/** Options for {@link runLoad}: `B` is the caller's blob type, handed back by `acknowledged()`. */
export interface LoadOptions<B extends LoadBlob = LoadBlob> {
  url: string
  token: string
  did: string
  /** Blobs to read (non-empty). */
  stored: readonly LoadBlob[]
  /** Blobs allocated beforehand to PUT; one acknowledged is not sent again. */
  pending: readonly { blob: B; allocation: Allocation }[]
  workers: number
  /** A request without an answer after this is recorded as an error (default 10 s). */
  clientTimeoutMs?: number
}

/** A running loop. */
export interface Load<B extends LoadBlob = LoadBlob> {
  /** Marks the phase in which the next requests start. */
  phase(phase: Phase): void
  /** Stops the workers after their current request; answers every outcome. */
  stop(): Promise<Outcome[]>
  /** The pending uploads the server acknowledged (2xx). */
  acknowledged(): { blob: B; allocation: Allocation }[]
}

const KINDS: readonly Outcome['kind'][] = ['range', 'head', 'allocate', 'put', 'get']

/** Starts `workers` loops of requests, each cycling through the kinds. */
export function runLoad<B extends LoadBlob>(options: LoadOptions<B>): Load<B> {
  const outcomes: Outcome[] = []
  const acked = new Set<number>()
  let phase: Phase = 'up'
  let running = true
  let turn = 0
  const timeoutMs = options.clientTimeoutMs ?? 10_000

  async function once(kind: Outcome['kind']): Promise<void> {
    const started = performance.now()
    const at = phase
    const blob = options.stored[turn % options.stored.length] as LoadBlob
    let request: Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>
    let putIndex = -1
    if (kind === 'range') {
      request = send(`${options.url}/blob/${blob.z}`, 'GET', { range: 'bytes=100-4195' })
    } else if (kind === 'get') {
      request = send(`${options.url}/blob/${blob.z}`, 'GET')
    } else if (kind === 'head') {
      request = send(`${options.url}/blob/${blob.z}`, 'HEAD')
    } else if (kind === 'allocate') {
      const body = JSON.stringify({
        space: options.did,
        blob: { digest: zDigest(randomBytes(32).toString('hex')), size: 1000 },
      })
      const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' }
      request = send(`${options.url}/allocations`, 'POST', headers, body)
    } else {
      putIndex = options.pending.findIndex(
        (_, i) => !acked.has(i) && i % options.workers === turn % options.workers,
      )
      if (putIndex < 0) putIndex = options.pending.findIndex((_, i) => !acked.has(i))
      const item = options.pending[putIndex]
      if (item === undefined) return
      request = send(item.allocation.url as string, 'PUT', item.allocation.headers, item.blob.bytes)
    }
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      const res = await Promise.race([request, expired])
      const outcome: Outcome = {
        kind,
        phase: at,
        status: res.status,
        ms: Math.round(performance.now() - started),
      }
      const retryAfter = res.headers['retry-after']
      if (typeof retryAfter === 'string') outcome.retryAfter = retryAfter
      if (res.status >= 400 && res.body.length > 0) {
        const name = (JSON.parse(res.body.toString()) as { error?: { name?: string } }).error?.name
        if (name !== undefined) outcome.errorName = name
      }
      if (kind === 'put' && res.status >= 200 && res.status < 300) acked.add(putIndex)
      outcomes.push(outcome)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      outcomes.push({
        kind,
        phase: at,
        status: 0,
        ms: Math.round(performance.now() - started),
        error: message,
      })
    } finally {
      clearTimeout(timer)
    }
  }

  const workers = Array.from({ length: options.workers }, async (_, w) => {
    for (let i = w; running; i++) {
      turn++
      await once(KINDS[i % KINDS.length] as Outcome['kind'])
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })

  return {
    phase(next) {
      phase = next
    },
    async stop() {
      running = false
      await Promise.all(workers)
      return outcomes
    },
    acknowledged: () => options.pending.filter((_, i) => acked.has(i)),
  }
}

/** Counts and latencies of a loop's outcomes, per phase: for the test's report line. */
export function summarise(outcomes: readonly Outcome[]): Record<string, unknown> {
  const byPhase: Record<string, { requests: number; maxMs: number; statuses: Record<string, number> }> = {}
  for (const o of outcomes) {
    const entry = byPhase[o.phase] ?? { requests: 0, maxMs: 0, statuses: {} }
    byPhase[o.phase] = entry
    entry.requests++
    entry.maxMs = Math.max(entry.maxMs, o.ms)
    const key = String(o.status)
    entry.statuses[key] = (entry.statuses[key] ?? 0) + 1
  }
  return byPhase
}
