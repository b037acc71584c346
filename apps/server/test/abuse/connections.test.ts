/**
 * Abuse battery, connections (issue 14, D1): one unauthenticated client used to exhaust the
 * server's file descriptors with sockets that never end their headers; at EMFILE, GET and PUT
 * answered 500, `/readyz` said ready and `/healthz` got "Empty reply".
 *
 * Each attack runs against the built server (`strata serve`, filesystem backend) as a child
 * process; loopback addresses `127.0.0.2…` stand in for other clients. Every attack is bounded in
 * count and time.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHILD_TOKEN, type Child, startChild } from '@strata/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { median, RawConnection, startAttacker, timedGet } from '../helpers/abuse.js'
import { allocate, memoryBlob, send } from '../helpers/e2e-helpers.js'

const dirs: string[] = []
const children: Child[] = []
afterEach(async () => {
  for (const child of children.splice(0)) await child.stop()
})
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

async function serve(env: Record<string, string> = {}, nofile?: number): Promise<Child> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-abuse-conn-'))
  dirs.push(dataDir)
  const child = await startChild({
    backend: 'filesystem',
    dataDir,
    env,
    ...(nofile === undefined
      ? {}
      : { wrap: (argv: string[]) => ['sh', '-c', `ulimit -n ${nofile} && exec "$0" "$@"`, ...argv] }),
  })
  children.push(child)
  return child
}

/** `n` probes of `GET /healthz` from `address`, one after the other, each on a new connection. */
async function probes(port: number, address: string, n: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const { ms, answer } = await timedGet(port, '/healthz', address)
    expect(answer.status).toBe(200)
    times.push(ms)
  }
  return times
}

const fmt = (values: number[]) =>
  `median ${median(values).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms (n=${values.length})`

/** Uploads a small blob; answers its `z` digest. */
async function upload(child: Child, size = 64 * 1024): Promise<string> {
  const blob = memoryBlob(size)
  const health = JSON.parse((await send(`${child.url}/healthz`, 'GET')).body.toString()) as { did: string }
  const { allocation } = await allocate(child.url, CHILD_TOKEN, health.did, blob.z, size)
  const put = await send(allocation.url as string, 'PUT', allocation.headers, blob.bytes)
  expect(put.status).toBe(201)
  return blob.z
}

describe('D1: connection exhaustion', () => {
  it('20,000 slow-header sockets from one address: another address gets /healthz in < 50 ms', async () => {
    const child = await serve()
    const before = await probes(child.port, '127.0.0.2', 5)
    const attacker = startAttacker({ port: child.port, count: 20_000, localAddress: '127.0.0.1' })
    try {
      // while the flood is under way: probe every 50 ms
      const during: number[] = []
      let flooding = true
      const probing = (async () => {
        while (flooding) {
          during.push(...(await probes(child.port, '127.0.0.2', 1)))
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      })()
      const report = await attacker.report.finally(async () => {
        flooding = false
        await probing.catch(() => {})
      })
      await probing // a failed probe fails the test
      // the flood is over once the server has seen every connection (within 30 s, on a loaded machine):
      // the attacker holds what it was let keep
      const counts = async () => {
        const metrics = (await timedGet(child.port, '/metrics', '127.0.0.3')).answer.body.toString()
        return {
          open: Number(/^strata_connections_open (\d+)/m.exec(metrics)?.[1]),
          refused: Number(/^strata_connections_refused_total\{reason="address"\} (\d+)/m.exec(metrics)?.[1]),
        }
      }
      let seen = await counts()
      for (let i = 0; i < 300 && seen.refused + seen.open < 20_000; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        seen = await counts()
      }
      const { open, refused } = seen
      const held = await attacker.again()
      const holding = await probes(child.port, '127.0.0.2', 15)
      // the attacker's own next connection is refused at once, with 503 and Retry-After
      const over = await RawConnection.open(child.port, '127.0.0.1')
      over.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
      const refusal = await over.answer()
      over.destroy()
      console.log(
        `D1: ${report.attempted} slow-header sockets from 127.0.0.1 in ${report.ms} ms: ${held.refused503} answered 503, ` +
          `${held.holding} held (server: ${open} open, ${refused} refused per address); /healthz from 127.0.0.2: ` +
          `before ${fmt(before)}; during the flood ${fmt(during)}; while held ${fmt(holding)}`,
      )
      expect(report.attempted).toBe(20_000)
      expect(held.holding).toBeLessThanOrEqual(256) // server.maxConnectionsPerAddress (default)
      expect(open).toBeLessThanOrEqual(256 + 1) // and the one asking for /metrics
      expect(refused).toBeGreaterThanOrEqual(20_000 - 256)
      expect(held.refused503).toBeGreaterThan(19_000)
      expect(refusal.status).toBe(503)
      expect(refusal.headers['retry-after']).toBe('5')
      expect(JSON.parse(refusal.body.toString())).toMatchObject({ error: { name: 'TooManyConnections' } })
      expect(median(holding)).toBeLessThan(50)
    } finally {
      await attacker.stop()
    }
    // released: the attacker's address is served again
    expect((await timedGet(child.port, '/healthz', '127.0.0.1')).answer.status).toBe(200)
  })

  it('with the limits at their defaults, a client cannot reach EMFILE; slow headers are cut', async () => {
    // 256 descriptors: maxConnections (256 - 128) / 2 = 64, per address 64 / 4 = 16
    const child = await serve({ STRATA_SERVER_HEADERS_TIMEOUT_MS: '1000' }, 256)
    const z = await upload(child)
    const attacker = startAttacker({ port: child.port, count: 400, localAddress: '127.0.0.2' })
    try {
      await attacker.report
      await new Promise((resolve) => setTimeout(resolve, 300))
      const report = await attacker.again()
      expect(report.holding).toBeLessThanOrEqual(16)
      const other = await RawConnection.open(child.port, '127.0.0.3')
      expect((await other.get(`/blob/${z}`)).status).toBe(200)
      expect((await other.get('/readyz')).status).toBe(200)
      expect((await other.get('/healthz')).status).toBe(200)
      other.destroy()
      // a slow-header connection is closed once server.headersTimeoutMs (here 1 s) has passed
      const slow = await RawConnection.open(child.port, '127.0.0.4')
      const started = performance.now()
      slow.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
      expect(await slow.waitClosed(5000)).toBe(true)
      const cut = performance.now() - started
      console.log(
        `D1 (256 fds, default limits): 400 sockets from 127.0.0.2, ${report.holding} held, ${report.refused503} answered 503; ` +
          `a slow-header socket was cut after ${cut.toFixed(0)} ms`,
      )
      expect(cut).toBeGreaterThanOrEqual(900)
    } finally {
      await attacker.stop()
    }
  })

  it('at EMFILE (limits set above the fd limit): 503 with Retry-After, /readyz not ready until headroom returns', async () => {
    // the operator set the limits too high for the process's 256 descriptors: the attack reaches EMFILE
    const child = await serve(
      { STRATA_SERVER_MAX_CONNECTIONS: '100000', STRATA_SERVER_MAX_CONNECTIONS_PER_ADDRESS: '100000' },
      256,
    )
    const z = await upload(child)
    const health = JSON.parse((await send(`${child.url}/healthz`, 'GET')).body.toString()) as { did: string }
    const fresh = memoryBlob(32 * 1024)
    const { allocation } = await allocate(child.url, CHILD_TOKEN, health.did, fresh.z, fresh.bytes.length)
    // connections opened before the attack, from another address
    const reader = await RawConnection.open(child.port, '127.0.0.3')
    const ready = await RawConnection.open(child.port, '127.0.0.3')
    const writer = await RawConnection.open(child.port, '127.0.0.3')
    const live = await RawConnection.open(child.port, '127.0.0.3')
    expect((await ready.get('/readyz')).status).toBe(200)
    const attacker = startAttacker({ port: child.port, count: 400, localAddress: '127.0.0.2' })
    try {
      const report = await attacker.report
      // every descriptor is taken: what needs one more answers 503, never 500
      const got = await reader.get(`/blob/${z}`)
      expect(got.status).toBe(503)
      expect(got.headers['retry-after']).toBe('5')
      expect(JSON.parse(got.body.toString())).toEqual({
        error: { name: 'OverloadedError', message: 'the server is overloaded; retry later' },
      })
      const url = new URL(allocation.url as string)
      writer.write(
        `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
          Object.entries(allocation.headers ?? {})
            .map(([name, value]) => `${name}: ${value}\r\n`)
            .join('') +
          '\r\n',
      )
      writer.write(fresh.bytes)
      const put = await writer.answer()
      expect(put.status).toBe(503)
      const notReady = await ready.get('/readyz')
      expect(notReady.status).toBe(503)
      expect(JSON.parse(notReady.body.toString()).checks.files).toMatchObject({
        ok: false,
        error: 'no file descriptor headroom',
      })
      expect((await live.get('/healthz')).status).toBe(200)
      console.log(
        `D1 (256 fds, limits off): 400 sockets from 127.0.0.2, ${report.holding} held, ${report.closedByServer} reset; ` +
          `GET ${got.status}, PUT ${put.status}, /readyz ${notReady.status}`,
      )
    } finally {
      await attacker.stop()
    }
    // headroom is back: ready again, and the upload goes through
    let readyAgain = 0
    for (let i = 0; i < 50 && readyAgain !== 200; i++) {
      readyAgain = (await timedGet(child.port, '/readyz', '127.0.0.4')).answer.status
      if (readyAgain !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(readyAgain).toBe(200)
    const put = await send(allocation.url as string, 'PUT', allocation.headers, fresh.bytes)
    expect(put.status).toBe(201)
    for (const connection of [reader, ready, writer, live]) connection.destroy()
  })
})
