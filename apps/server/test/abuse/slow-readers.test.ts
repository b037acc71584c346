/**
 * Abuse battery, slow readers (issue 14, D2): readers that take a blob byte by byte used to pin
 * about 0.79 MiB each with no total cap (2,000 readers: 1.71 GB). Now a download holds at most one
 * 64 KiB chunk until its socket takes it, every download's chunks share one budget
 * (`server.maxResponseBufferBytes`), and a reader that takes nothing for `server.sendTimeoutMs`
 * is cut. Loopback addresses `127.0.0.2…` stand in for the attacker's many clients.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { CHILD_TOKEN, type Child, startChild } from '@strata/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  allocate,
  deterministicStream,
  hashedGet,
  hashStream,
  send,
  zDigest,
} from '../helpers/e2e-helpers.js'

const MiB = 1024 * 1024
const ATTACKER = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'slow-readers.mjs')
const dirs: string[] = []
const children: Child[] = []
afterEach(async () => {
  for (const child of children.splice(0)) await child.stop()
})
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

interface Report {
  connected: number
  answered: number
  refused: number
  closedByServer: number
  failed: number
  open: number
}

/** The attacker process: its first report once every connection has its status line. */
function slowReaders(port: number, path: string, count: number, mode: 'trickle' | 'stall') {
  const child = spawn(
    process.execPath,
    [ATTACKER, String(port), path, String(count), '127.0.0.2', '8', mode],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  const lines = createInterface({ input: child.stdout })
  const next = () => new Promise<Report>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line))))
  const first = next()
  return {
    first,
    again: (line: 'report' | 'probe' = 'report') => {
      const report = next()
      child.stdin.write(`${line}\n`)
      return report
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.stdin.end()
      }),
  }
}

async function serve(env: Record<string, string>): Promise<Child> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-abuse-slow-'))
  dirs.push(dataDir)
  // 2,000 connections and their files: more descriptors than a default limit allows.
  const wrap = (argv: string[]) => ['sh', '-c', 'ulimit -n 16384 && exec "$0" "$@"', ...argv]
  const child = await startChild({ backend: 'filesystem', dataDir, env, wrap })
  children.push(child)
  return child
}

/** Uploads a 64 MiB blob; answers its path and sha256. */
async function bigBlob(child: Child): Promise<{ path: string; sha256: string }> {
  const size = 64 * MiB
  const stream = deterministicStream(size, 7)
  const { sha256 } = await hashStream(stream())
  const z = zDigest(sha256)
  const health = JSON.parse((await send(`${child.url}/healthz`, 'GET')).body.toString()) as { did: string }
  const { allocation } = await allocate(child.url, CHILD_TOKEN, health.did, z, size)
  const put = await send(allocation.url as string, 'PUT', allocation.headers, stream())
  expect(put.status).toBe(201)
  return { path: `/blob/${z}`, sha256 }
}

/** `GET path` with a `Range`, from `localAddress`; answers the status, the body and the time taken. */
function rangeFrom(port: number, path: string, localAddress: string, range: string) {
  const started = performance.now()
  return new Promise<{ status: number; body: Buffer; ms: number }>((resolve, reject) => {
    const req = request({ port, path, localAddress, headers: { range }, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          ms: performance.now() - started,
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('D2: slow readers', () => {
  it('2,000 readers taking 1 KiB every 2 s grow RSS by < 200 MiB; other clients are still served', async () => {
    const child = await serve({ STRATA_SERVER_MAX_CONNECTIONS_PER_ADDRESS: '300' })
    const blob = await bigBlob(child)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const baseline = child.rss()
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, child.rss())
    }, 50)
    const attack = slowReaders(child.port, blob.path, 2000, 'trickle')
    try {
      expect(await attack.first).toMatchObject({ answered: 2000, refused: 0, failed: 0 })
      // Another client, another address: a whole range is served, byte for byte.
      const { ms, status, body } = await rangeFrom(child.port, blob.path, '127.0.0.20', 'bytes=0-1048575')
      expect(status).toBe(206)
      expect(body.length).toBe(MiB)
      await new Promise((resolve) => setTimeout(resolve, 3000))
      peak = Math.max(peak, child.rss())
      console.log(
        `D2: 2,000 trickling readers (8 addresses): RSS baseline ${(baseline / MiB).toFixed(1)} MiB, peak +${((peak - baseline) / MiB).toFixed(1)} MiB; a 1 MiB range from another address in ${ms.toFixed(0)} ms`,
      )
      expect(peak - baseline).toBeLessThan(200 * MiB)
    } finally {
      clearInterval(sampler)
      await attack.stop()
    }
  })

  it('a reader that takes nothing is cut after server.sendTimeoutMs; nothing else is', async () => {
    const child = await serve({ STRATA_SERVER_SEND_TIMEOUT_MS: '2000' })
    const blob = await bigBlob(child)
    const attack = slowReaders(child.port, blob.path, 50, 'stall')
    try {
      expect(await attack.first).toMatchObject({ answered: 50, refused: 0, failed: 0 })
      // Checked every 2 s: cut within two periods of taking nothing.
      await new Promise((resolve) => setTimeout(resolve, 6000))
      const report = await attack.again('probe')
      expect(report.closedByServer).toBe(50)
      expect(report.open).toBe(0)
      // A reader that reads is not cut: a whole 64 MiB download, hashed.
      const whole = await hashedGet(`${child.url}${blob.path}`)
      expect(whole).toMatchObject({ status: 200, sha256: blob.sha256, bytes: 64 * MiB })
    } finally {
      await attack.stop()
    }
  })

  it('while downloads wait for the budget, readers that take nothing are cut after server.pressuredSendTimeoutMs', async () => {
    // 16 chunks of budget for 50 stalled readers, and a send timeout of 10 minutes: only the
    // pressured timeout can let another download through.
    const child = await serve({
      STRATA_SERVER_MAX_RESPONSE_BUFFER_BYTES: String(MiB),
      STRATA_SERVER_SEND_TIMEOUT_MS: '600000',
      STRATA_SERVER_PRESSURED_SEND_TIMEOUT_MS: '2000',
    })
    const blob = await bigBlob(child)
    const attack = slowReaders(child.port, blob.path, 50, 'stall')
    try {
      expect(await attack.first).toMatchObject({ answered: 50, refused: 0, failed: 0 })
      const whole = await hashedGet(`${child.url}${blob.path}`)
      expect(whole).toMatchObject({ status: 200, sha256: blob.sha256, bytes: 64 * MiB })
      // Cut while others waited: all but the few that hold the budget once nobody waits any more.
      const report = await attack.again('probe')
      expect(report.closedByServer + report.open).toBe(50)
      expect(report.closedByServer).toBeGreaterThanOrEqual(50 - MiB / (64 * 1024))
    } finally {
      await attack.stop()
    }
  })
})
