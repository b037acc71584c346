/**
 * One load run against a child server: {@link CLIENTS} concurrent clients for a bounded time doing
 * mixed uploads (log-uniform 1 KiB – 16 MiB, each a new blob) and checked downloads of blobs
 * already uploaded (whole, one range, several ranges), while the server's RSS is sampled every
 * 50 ms.
 */
import { Agent } from 'node:http'
import type { Child } from '@strata/testkit'
import { CHILD_TOKEN } from '@strata/testkit'
import { LoadClient, type LoadStats } from './load-client.js'
import { logUniformSize, prng, type SeededBlob, seededBlob } from './load-content.js'

const MiB = 1024 * 1024
/** Concurrent clients. */
export const CLIENTS = 200

/** What a run measured. */
export interface LoadReport {
  stats: LoadStats
  /** Peak RSS over the baseline sampled just before the clients start, in bytes. */
  peakGrowth: number
  baseline: number
  durationMs: number
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** The window in which clients start requests; each then finishes the one it is in. */
  durationMs: number
  /**
   * The part of the window in which uploads start (default 0.8); the rest only downloads, so the
   * uploads in flight (queued for the S3 buffer budget, up to 16 MiB each) drain meanwhile.
   */
  uploadFraction?: number
  /** Seeds the clients' choices and the blobs' content. */
  seed: number
}

/** Runs the clients against `child`, then answers what they counted. */
export async function runLoad(child: Child, options: LoadOptions): Promise<LoadReport> {
  const { durationMs, seed: runSeed } = options
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS })
  const client = new LoadClient(child.url, CHILD_TOKEN, agent)
  const health = await fetch(`${child.url}/healthz`)
  const space = ((await health.json()) as { did: string }).did
  const uploaded: SeededBlob[] = []
  let nextSeed = (runSeed * 1_000_003) >>> 0
  const baseline = child.rss()
  let peak = baseline
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, child.rss())
    } catch {
      // the child exited: the requests fail and say so
    }
  }, 50)
  // A first 20 small blobs, so downloads have something to read from the start even on a slow
  // machine (where 200 first uploads of up to 16 MiB can fill the whole window).
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      const blob = seededBlob(nextSeed++, 1024 + (nextSeed % 64) * 1024)
      if (await client.upload(blob, space)) uploaded.push(blob)
    }),
  )
  const started = performance.now()
  const deadline = Date.now() + durationMs
  const uploadsUntil = Date.now() + durationMs * (options.uploadFraction ?? 0.8)

  const download = async (random: () => number) => {
    const blob = uploaded[Math.floor(random() * uploaded.length)] as SeededBlob
    const kind = random()
    if (kind < 0.4) {
      const status = await client.getWhole(blob)
      if (status !== 200) throw new Error(`GET ${blob.digest}: ${status}`)
    } else if (kind < 0.85 || blob.size < 4096) {
      // one range: `s-e` mostly, sometimes open-ended or a suffix
      const start = Math.floor(random() * blob.size)
      const length = Math.min(blob.size - start, logUniformSize(random, 1, 4 * MiB))
      const form = random()
      if (form < 0.7) await client.getRange(blob, `${start}-${start + length - 1}`, start, start + length - 1)
      else if (form < 0.85) await client.getRange(blob, `${start}-`, start, blob.size - 1)
      else await client.getRange(blob, `-${length}`, blob.size - length, blob.size - 1)
    } else {
      // 2–4 disjoint ranges of up to 64 KiB, ascending, with gaps (never merged)
      const count = 2 + Math.floor(random() * 3)
      const slot = Math.floor(blob.size / count)
      const ranges: [number, number][] = []
      for (let i = 0; i < count; i++) {
        const room = slot - 2
        const length = 1 + Math.floor(random() * Math.min(64 * 1024, room))
        const start = i * slot + Math.floor(random() * (room - length + 1))
        ranges.push([start, start + length - 1])
      }
      await client.getMulti(blob, ranges)
    }
    client.stats.downloads++
  }

  const worker = async (id: number) => {
    const random = prng(runSeed * 7919 + id)
    while (Date.now() < deadline) {
      if (uploaded.length < 20 || (random() < 0.4 && Date.now() < uploadsUntil)) {
        const blob = seededBlob(nextSeed++, logUniformSize(random))
        if (await client.upload(blob, space)) uploaded.push(blob)
      } else {
        await download(random).catch((error: unknown) => client.error((error as Error).message))
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: CLIENTS }, (_, id) => worker(id)))
  } finally {
    clearInterval(sampler)
    agent.destroy()
  }
  return {
    stats: client.stats,
    peakGrowth: peak - baseline,
    baseline,
    durationMs: performance.now() - started,
  }
}

/** One summary line of a run. */
export function summary(mode: string, report: LoadReport): string {
  const { stats } = report
  const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`
  return (
    `load ${mode}: ${CLIENTS} clients, ${(report.durationMs / 1000).toFixed(1)} s, ` +
    `requests ${stats.requests}, uploads ${stats.uploads}, downloads ${stats.downloads}, ` +
    `up ${mib(stats.bytesUp)}, down ${mib(stats.bytesDown)}, errors ${stats.errors}, ` +
    `corruptions ${stats.corruptions}, RSS baseline ${mib(report.baseline)}, peak growth ${mib(report.peakGrowth)}`
  )
}
