import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { base58btc } from 'multiformats/bases/base58'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { configSchema } from '../../src/config/index.js'
import { createContainer, type StrataContainer } from '../../src/container/index.js'
import type { RequestLogLine } from '../../src/observability/index.js'
import { baseUrlOf } from '../../src/url.js'

let dataDir: string
let lines: Array<RequestLogLine & { msg: string; component?: string }>
let container: StrataContainer

/** A pino logger whose JSON lines are captured in `lines`. */
const capture = () => pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-app-'))
  lines = []
  const config = configSchema.parse({
    storage: { backend: 'memory', dataDir },
    server: { authToken: 'a-test-token-of-some-length' },
  })
  container = createContainer(config, { logger: capture() })
})
afterEach(async () => {
  await container.stop()
  await rm(dataDir, { recursive: true, force: true })
})

const make = () => createApp({ container, publicUrl: 'http://127.0.0.1:3000' })
const requests = () => lines.filter((line) => line.msg === 'request')

describe('createApp', () => {
  it('/healthz answers 200 while the process runs, started or not', async () => {
    const { app } = make()
    const res = await app.request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
  })

  it('/readyz answers 503 with checks before start, 200 once started', async () => {
    const { app } = make()
    const before = await app.request('/readyz')
    expect(before.status).toBe(503)
    const report = (await before.json()) as { ready: boolean; checks: Record<string, { ok: boolean }> }
    expect(report.ready).toBe(false)
    expect(report.checks.started).toMatchObject({ ok: false, error: 'not started' })
    expect(before.headers.get('cache-control')).toBe('no-store')

    await container.start()
    const after = await app.request('/readyz')
    expect(after.status).toBe(200)
    const ready = (await after.json()) as { ready: boolean; checks: Record<string, { ok: boolean }> }
    expect(ready.ready).toBe(true)
    expect(Object.keys(ready.checks)).toEqual(
      expect.arrayContaining(['started', 'blobs', 'keystore', 'journal']),
    )
  })

  it('answers unknown routes with 404 RouteNotFound JSON', async () => {
    const { app } = make()
    const res = await app.request('/no/such/route')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({
      error: { name: 'RouteNotFound', message: 'no route for GET on this path' },
    })
  })

  it('serves blobs through the read routes, and takes routes mounted on it afterwards', async () => {
    await container.start()
    const bytes = new TextEncoder().encode('hello world')
    const digest = await sha256.digest(bytes)
    await container.cradle.blobs.put(digest, bytes.length, bytes)
    const { app } = make()
    app.route(
      '/',
      new Hono().get('/extra', (c) => c.text('extra')),
    )
    const res = await app.request(`/blob/${base58btc.encode(digest.bytes)}`, {
      headers: { range: 'bytes=6-' },
    })
    expect(res.status).toBe(206)
    expect(await res.text()).toBe('world')
    expect(await (await app.request('/extra')).text()).toBe('extra')
  })

  it('logs one line per request: method, path, route, status, bytes, ms; never headers or query', async () => {
    await container.start()
    const bytes = new TextEncoder().encode('0123456789')
    const digest = await sha256.digest(bytes)
    await container.cradle.blobs.put(digest, bytes.length, bytes)
    const { app } = make()
    const path = `/blob/${base58btc.encode(digest.bytes)}`
    await (
      await app.request(`${path}?X-Amz-Signature=secret-signature`, {
        headers: { authorization: 'Bearer super-secret-token', range: 'bytes=0-3' },
      })
    ).arrayBuffer()
    await (
      await app.request('/nope', { method: 'POST', body: 'abc', headers: { 'content-length': '3' } })
    ).text()
    await (await app.request('/healthz')).text()
    const logged = requests()
    expect(logged).toHaveLength(3)
    expect(logged[0]).toMatchObject({
      component: 'http',
      method: 'GET',
      path,
      route: '/blob/:digest',
      status: 206,
      bytesIn: 0,
      bytesOut: 4,
    })
    expect(typeof logged[0]?.ms).toBe('number')
    expect(logged[1]).toMatchObject({
      method: 'POST',
      path: '/nope',
      route: 'unmatched',
      status: 404,
      bytesIn: 3,
    })
    expect(logged[1]?.error).toBe('RouteNotFound')
    expect(logged[2]).toMatchObject({ method: 'GET', path: '/healthz', route: '/healthz', status: 200 })
    const text = lines.map((line) => JSON.stringify(line)).join('\n')
    expect(text).not.toContain('super-secret-token')
    expect(text).not.toContain('secret-signature')
    expect(text.toLowerCase()).not.toContain('authorization')
  })

  it('counts requests, durations, bytes and errors in /metrics', async () => {
    await container.start()
    const bytes = new Uint8Array(1000).fill(7)
    const digest = await sha256.digest(bytes)
    await container.cradle.blobs.put(digest, bytes.length, bytes)
    const { app } = make()
    const path = `/blob/${base58btc.encode(digest.bytes)}`
    await (await app.request(path)).arrayBuffer()
    await (await app.request(path, { headers: { range: 'bytes=0-99' } })).arrayBuffer()
    await (await app.request('/blob/not-a-digest!')).text()
    await (await app.request('/missing')).text()
    await (
      await app.request('/allocations', { method: 'POST', body: '{}', headers: { 'content-length': '2' } })
    ).text()
    const res = await app.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await res.text()
    expect(text).toContain('strata_http_requests_total{method="GET",route="/blob/:digest",status="200"} 1')
    expect(text).toContain('strata_http_requests_total{method="GET",route="/blob/:digest",status="206"} 1')
    expect(text).toContain('strata_http_requests_total{method="GET",route="/blob/:digest",status="400"} 1')
    expect(text).toContain('strata_http_requests_total{method="GET",route="unmatched",status="404"} 1')
    expect(text).toContain('strata_http_requests_total{method="POST",route="/allocations",status="401"} 1')
    expect(text).toMatch(
      /strata_http_request_duration_seconds_count\{method="GET",route="\/blob\/:digest"\} 3/,
    )
    expect(text).toMatch(/strata_http_bytes_out_total \d+/)
    const out = Number(/strata_http_bytes_out_total (\d+)/.exec(text)?.[1])
    expect(out).toBeGreaterThanOrEqual(1100)
    expect(text).toContain('strata_http_bytes_in_total 2')
    expect(text).toContain('strata_errors_total{name="InvalidDigestError"} 1')
    expect(text).toContain('strata_errors_total{name="RouteNotFound"} 1')
    expect(text).toContain('strata_errors_total{name="Unauthorized"} 1')
    expect(text).toContain('process_cpu_user_seconds_total')
  })

  it('builds base URLs for any listening address', () => {
    expect(baseUrlOf('127.0.0.1', 3000)).toBe('http://127.0.0.1:3000')
    expect(baseUrlOf('0.0.0.0', 80)).toBe('http://127.0.0.1:80')
    expect(baseUrlOf('::', 8080)).toBe('http://[::1]:8080')
    expect(baseUrlOf('localhost', 1)).toBe('http://localhost:1')
  })
})
