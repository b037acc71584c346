import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { base58btc } from 'multiformats/bases/base58'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { configSchema, loadConfig } from '../../src/config/index.js'
import { createContainer, type StrataContainer } from '../../src/container/index.js'

const TOKEN = 'a-test-token-of-some-length'
const PAGE = 'https://page.example'
const WRITER = 'https://writer.example'

async function startApp(writeOrigins: string[]) {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-cors-'))
  const config = configSchema.parse({
    storage: { backend: 'memory', dataDir },
    server: { authToken: TOKEN, cors: { writeOrigins } },
  })
  const container: StrataContainer = createContainer(config, { logger: pino({ level: 'silent' }) })
  await container.start()
  const { app } = createApp({ container, publicUrl: 'http://127.0.0.1:3000' })
  return {
    container,
    request: (path: string, init?: RequestInit) => app.request(path, init),
    async stop() {
      await container.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

describe('CORS', () => {
  let app: Awaited<ReturnType<typeof startApp>>
  let blob: string
  beforeAll(async () => {
    app = await startApp([WRITER])
    const bytes = new TextEncoder().encode('cors bytes')
    const digest = await sha256.digest(bytes)
    await app.container.cradle.blobs.put(digest, bytes.byteLength, bytes)
    blob = base58btc.encode(digest.bytes)
  })
  afterAll(() => app.stop())

  it('every public read answers Access-Control-Allow-Origin: * and exposes what clients read, errors included', async () => {
    const reads = [
      [`/blob/${blob}`, 200],
      [`/blob/${blob}`, 206, { range: 'bytes=0-3' }],
      ['/blob/zQmNotThere111111111111111111111111111111111111', 404],
      ['/blob/x1', 400],
      ['/ipfs/bafkqaaa?format=raw', 200],
      ['/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy?format=raw', 404],
      ['/claim/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', 404],
      ['/receipts/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', 404],
      ['/car/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', 404],
      ['/block/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', 404],
    ] as const
    for (const [path, status, headers] of reads) {
      const res = await app.request(path, { headers: { origin: PAGE, ...(headers ?? {}) } })
      expect(res.status, path).toBe(status)
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*')
      const exposed = res.headers.get('access-control-expose-headers') ?? ''
      for (const name of [
        'Content-Range',
        'Content-Length',
        'ETag',
        'Accept-Ranges',
        'X-Ipfs-Path',
        'X-Ipfs-Roots',
      ]) {
        expect(exposed, path).toContain(name)
      }
    }
    // not a public read: no CORS headers
    const health = await app.request('/healthz', { headers: { origin: PAGE } })
    expect(health.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('a read preflight from any origin allows Range and If-None-Match (204)', async () => {
    for (const path of [`/blob/${blob}`, '/ipfs/bafkqaaa']) {
      const res = await app.request(path, {
        method: 'OPTIONS',
        headers: {
          origin: PAGE,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'range, if-none-match',
        },
      })
      expect(res.status).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS')
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Range.*If-None-Match/)
    }
  })

  it('writes: a preflight or a write from an origin not configured is refused (403) before it runs', async () => {
    const preflight = await app.request('/allocations', {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBe(403)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    expect(((await preflight.json()) as { error: { name: string } }).error.name).toBe('Forbidden')
    const deleted = await app.request(`/blob/${blob}`, {
      method: 'DELETE',
      headers: { origin: PAGE, authorization: `Bearer ${TOKEN}` },
    })
    expect(deleted.status).toBe(403)
    expect(await app.request(`/blob/${blob}`)).toHaveProperty('status', 200) // still there
    // a read preflight asking to DELETE is a write preflight
    const sneaky = await app.request(`/blob/${blob}`, {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'DELETE' },
    })
    expect(sneaky.status).toBe(403)
  })

  it('writes: a configured origin gets its preflight and its answers; clients without Origin are unaffected', async () => {
    const preflight = await app.request('/allocations', {
      method: 'OPTIONS',
      headers: {
        origin: WRITER,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(WRITER)
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization, content-type')
    expect(preflight.headers.get('vary')).toBe('Origin')
    const write = await app.request('/allocations', {
      method: 'POST',
      headers: { origin: WRITER, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(write.status).toBe(400) // reached the route (an empty allocation is a bad request)
    expect(write.headers.get('access-control-allow-origin')).toBe(WRITER)
    expect(write.headers.get('vary')).toContain('Origin')
    const cli = await app.request('/allocations', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(cli.status).toBe(400)
    expect(cli.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('server.cors.writeOrigins', () => {
  it('defaults to none; takes a list, a comma-separated STRATA_SERVER_CORS_WRITE_ORIGINS or *; refuses others', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'strata-cors-config-'))
    try {
      expect((await loadConfig({ cwd, env: {} })).config.server.cors.writeOrigins).toEqual([])
      const fromEnv = await loadConfig({
        cwd,
        env: { STRATA_SERVER_CORS_WRITE_ORIGINS: 'https://a.example, http://127.0.0.1:8080' },
      })
      expect(fromEnv.config.server.cors.writeOrigins).toEqual(['https://a.example', 'http://127.0.0.1:8080'])
      expect(
        configSchema.parse({ server: { cors: { writeOrigins: ['*'] } } }).server.cors.writeOrigins,
      ).toEqual(['*'])
      for (const bad of ['https://a.example/path', 'ftp://a.example', 'a.example']) {
        const error = await loadConfig({ cwd, env: { STRATA_SERVER_CORS_WRITE_ORIGINS: bad } }).catch(
          (e) => e,
        )
        expect(error.name, bad).toBe('ConfigError')
        expect(error.message, bad).toMatch(/server\.cors\.writeOrigins.*expected origins/s)
      }
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }
  })
})
