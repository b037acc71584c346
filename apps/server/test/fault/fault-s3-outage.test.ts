import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { CHILD_TOKEN, type Child, incompleteUploads, s3TestClient, startChild } from '@strata/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  type Allocation,
  allocate,
  hashedGet,
  type MemoryBlob,
  memoryBlob,
  send,
} from '../helpers/e2e-helpers.js'
import { describeCeph, type PrivateCluster, startPrivateCluster } from '../helpers/fault-s3-cluster.js'
import { type Outcome, runLoad, summarise } from '../helpers/fault-s3-load.js'
import { s3Env } from '../helpers/s3-helpers.js'

const KiB = 1024
/** Each request during the outage must be answered within this (the S3 request timeout is 1 s). */
const MAX_LATENCY_MS = 5000
/** `/readyz` must be 200 again within this after the gateway answers. */
const MAX_RECOVERY_MS = 15_000
const PREFIX = `strata-fault-${Date.now().toString(36)}-`

describeCeph('fault: S3 gateway stopped and restarted under load', () => {
  let cluster: PrivateCluster | undefined
  let child: Child | undefined
  let dataDir: string | undefined
  let did = ''
  /** Acknowledged (PUT answered 2xx): must stay intact through the outage. */
  const stored: MemoryBlob[] = []
  /** Allocated before the outage, PUT during it (and again after). */
  const pending: { blob: MemoryBlob; allocation: Allocation }[] = []
  const outcomes: Outcome[] = []

  const bearer = { authorization: `Bearer ${CHILD_TOKEN}` }
  const server = () => child as Child

  async function upload(blob: MemoryBlob): Promise<number> {
    const { allocation } = await allocate(server().url, CHILD_TOKEN, did, blob.z, blob.bytes.length)
    const put = await send(allocation.url as string, 'PUT', allocation.headers, blob.bytes)
    return put.status
  }

  async function expectIntact(blob: MemoryBlob): Promise<void> {
    const got = await hashedGet(`${server().url}/blob/${blob.z}`)
    expect(got.status).toBe(200)
    expect({ sha256: got.sha256, bytes: got.bytes }).toEqual({
      sha256: blob.sha256,
      bytes: blob.bytes.length,
    })
  }

  async function blobKeys(): Promise<string[]> {
    const client = s3TestClient((cluster as PrivateCluster).settings)
    const store = new MinioObjectStore({ client, bucket: `${PREFIX}blobs` })
    await store.open()
    const keys: string[] = []
    for await (const key of store.list('')) keys.push(key)
    return keys
  }

  beforeAll(async () => {
    cluster = await startPrivateCluster(`/tmp/strata-s3-fault-${process.pid}`)
    dataDir = await mkdtemp(join(tmpdir(), 'strata-fault-s3-'))
    const { settings } = cluster
    child = await startChild({
      backend: 's3',
      dataDir,
      env: {
        ...s3Env(settings, PREFIX),
        STRATA_STORAGE_S3_REQUEST_TIMEOUT_MS: '1000',
      },
    })
    did = JSON.parse((await send(`${child.url}/healthz`, 'GET')).body.toString()).did
  }, 60_000)

  afterAll(async () => {
    await child?.stop(5000)
    await cluster?.stop()
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  }, 60_000)

  it('stores blobs while S3 is up (one of them multipart)', async () => {
    for (const size of [300 * KiB, 64 * KiB + 7, 9 * 1024 * KiB]) {
      const blob = memoryBlob(size)
      expect(await upload(blob)).toBe(201)
      stored.push(blob)
    }
    for (let i = 0; i < 4; i++) {
      const blob = memoryBlob(100 * KiB + i)
      const { status, allocation } = await allocate(server().url, CHILD_TOKEN, did, blob.z, blob.bytes.length)
      expect(status).toBe(201)
      pending.push({ blob, allocation })
    }
    expect((await send(`${server().url}/readyz`, 'GET')).status).toBe(200)
  }, 30_000)

  it('answers 503 + Retry-After quickly to every request while the gateway is down', async () => {
    const c = cluster as PrivateCluster
    const load = runLoad({ url: server().url, token: CHILD_TOKEN, did, stored, pending, workers: 3 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    load.phase('stopping')
    await c.gatewayStop()
    load.phase('down')
    await new Promise((resolve) => setTimeout(resolve, 4000))
    load.phase('after')
    outcomes.push(...(await load.stop()))
    // Uploads acknowledged before or while the gateway was stopping are blobs like any other.
    for (const item of load.acknowledged()) stored.push(item.blob)

    const down = outcomes.filter((o) => o.phase === 'down')
    const summary = summarise(outcomes)
    console.log(`S3 outage: ${JSON.stringify(summary)}`)
    expect(down.length).toBeGreaterThan(20)
    for (const outcome of outcomes) {
      expect(outcome.ms, `${outcome.kind} took ${outcome.ms} ms`).toBeLessThan(MAX_LATENCY_MS)
      expect(outcome.status, JSON.stringify(outcome)).not.toBe(500)
      // A download whose 200 was already sent when the gateway went away can only be cut short
      // (the client sees a body shorter than its Content-Length); anything else must answer.
      const cut = outcome.phase !== 'down' && outcome.error === 'aborted' && /get|range/.test(outcome.kind)
      if (!cut) expect(outcome.error, JSON.stringify(outcome)).toBeUndefined()
    }
    for (const outcome of down) {
      expect(outcome.status, JSON.stringify(outcome)).toBe(503)
      expect(outcome.retryAfter, JSON.stringify(outcome)).toBe('5')
      if (outcome.kind === 'head') continue // no body on a HEAD
      expect(outcome.errorName, JSON.stringify(outcome)).toMatch(
        /^(UnavailableError|RequestTimeoutError|TimeoutError)$/,
      )
    }
    const ready = await send(`${server().url}/readyz`, 'GET')
    expect(ready.status).toBe(503)
    const report = JSON.parse(ready.body.toString()) as {
      ready: boolean
      checks: Record<string, { ok: boolean; error?: string }>
    }
    expect(report.ready).toBe(false)
    expect(report.checks.blobs?.ok).toBe(false)
    expect(report.checks.blobs?.error).toBeTruthy()
    expect(report.checks.keystore?.ok).toBe(true) // local: not part of the outage
    expect((await send(`${server().url}/healthz`, 'GET')).status).toBe(200)
  }, 30_000)

  it('recovers without a restart: ready again, uploads and downloads work, nothing lost or left behind', async () => {
    const c = cluster as PrivateCluster
    const t0 = performance.now()
    await c.gatewayStart()
    const gatewayMs = performance.now() - t0
    const t1 = performance.now()
    let readyMs = Number.NaN
    while (performance.now() - t1 < MAX_RECOVERY_MS) {
      const ready = await send(`${server().url}/readyz`, 'GET')
      if (ready.status === 200) {
        readyMs = performance.now() - t1
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    console.log(
      `S3 recovery: gateway-start ${Math.round(gatewayMs)} ms, then /readyz 200 after ${Math.round(readyMs)} ms`,
    )
    expect(readyMs).toBeLessThan(MAX_RECOVERY_MS)

    // The first requests after recovery succeed (no stale pooled connection answers 503).
    for (const blob of stored) await expectIntact(blob)
    const range = await send(`${server().url}/blob/${stored[0]?.z}`, 'GET', { range: 'bytes=10-19' })
    expect(range.status).toBe(206)
    expect(range.body.equals(stored[0]?.bytes.subarray(10, 20) as Buffer)).toBe(true)
    for (const { blob, allocation } of pending) {
      if (stored.includes(blob)) continue
      const put = await send(allocation.url as string, 'PUT', allocation.headers, blob.bytes)
      // 200 "already stored": a PUT of the stopping phase was stored but its answer was a 503.
      const retried = outcomes.some((o) => o.kind === 'put' && o.phase !== 'down')
      expect(put.status, put.body.toString()).toBe(retried && put.status === 200 ? 200 : 201)
      stored.push(blob)
    }
    const fresh = memoryBlob(200 * KiB)
    expect(await upload(fresh)).toBe(201)
    stored.push(fresh)
    for (const blob of stored) await expectIntact(blob)

    // Nothing the outage refused was stored: exactly the acknowledged blobs, no multipart left.
    expect(await blobKeys()).toHaveLength(stored.length)
    const client = s3TestClient(c.settings)
    expect(await incompleteUploads(client, `${PREFIX}blobs`)).toEqual([])
    const deleted = await send(`${server().url}/blob/${fresh.z}`, 'DELETE', bearer)
    expect(deleted.status).toBe(204)
  }, 45_000)

  it('answers 503 within the request timeout while the gateway hangs (SIGSTOP), and recovers', async () => {
    const c = cluster as PrivateCluster
    const pid = Number((await readFile(join(c.stateDir, 'run', 'client.rgw.a.pid'), 'utf8')).trim())
    expect(pid).toBeGreaterThan(1)
    const blob = stored[0] as MemoryBlob
    process.kill(pid, 'SIGSTOP') // accepts connections (kernel backlog), never answers
    const latencies: number[] = []
    try {
      for (const path of [`/blob/${blob.z}`, `/blob/${blob.z}`]) {
        const t0 = performance.now()
        const res = await send(`${server().url}${path}`, 'GET', { range: 'bytes=0-9' })
        latencies.push(Math.round(performance.now() - t0))
        expect(res.status, res.body.toString()).toBe(503)
        expect(res.headers['retry-after']).toBe('5')
      }
      const t0 = performance.now()
      const ready = await send(`${server().url}/readyz`, 'GET')
      latencies.push(Math.round(performance.now() - t0))
      expect(ready.status).toBe(503)
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    console.log(`S3 hung gateway: answers after ${latencies.join(', ')} ms (GET, GET, /readyz)`)
    for (const ms of latencies) expect(ms).toBeLessThan(MAX_LATENCY_MS)
    const deadline = performance.now() + MAX_RECOVERY_MS
    while ((await send(`${server().url}/readyz`, 'GET')).status !== 200) {
      expect(performance.now()).toBeLessThan(deadline)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await expectIntact(blob)
  }, 30_000)
})
