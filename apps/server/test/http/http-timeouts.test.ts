/**
 * Slow and stalled clients (`server.idleTimeoutMs`, here 1 s): a request may take as long as it
 * keeps moving (a trickled upload lasting several idle periods is stored), but a connection that
 * goes silent mid-body is closed and its upload stores nothing (no blob, nothing in `.temp`).
 */
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { type RunningServer, startServer } from '../../src/server.js'
import { allocate, hashedGet, send, zDigest } from '../helpers/e2e-helpers.js'

const TOKEN = 'timeouts-test-token-0123456789'
const IDLE_MS = 1000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('idle timeout, not a total one', () => {
  let dataDir = ''
  let server: RunningServer
  let space = ''

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-timeouts-'))
    const config = configSchema.parse({
      server: { host: '127.0.0.1', port: 0, authToken: TOKEN, idleTimeoutMs: IDLE_MS },
      storage: { backend: 'filesystem', dataDir },
      log: { level: 'silent' },
    })
    server = await startServer({ config, logger: pino({ level: 'silent' }) })
    space = server.identity.did
  })
  afterAll(async () => {
    await server?.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  const bytesOf = (n: number, seed: number) => Buffer.alloc(n, seed)
  const temps = async () => readdir(join(dataDir, 'blobs', '.temp'))

  it('stores an upload trickled over more than 3 idle periods (the server sets no total time limit)', async () => {
    expect(server.server.requestTimeout).toBe(0)
    const bytes = bytesOf(64 * 1024, 1)
    const z = zDigest(createHash('sha256').update(bytes).digest('hex'))
    const { allocation } = await allocate(server.url, TOKEN, space, z, bytes.length)
    async function* trickle() {
      for (let offset = 0; offset < bytes.length; offset += 4096) {
        yield bytes.subarray(offset, offset + 4096)
        await sleep(IDLE_MS / 4)
      }
    }
    const started = Date.now()
    const put = await send(allocation.url as string, 'PUT', allocation.headers, trickle())
    expect(put.status).toBe(201)
    expect(Date.now() - started).toBeGreaterThan(3 * IDLE_MS)
    const got = await hashedGet(`${server.url}/blob/${z}`)
    expect(got.sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
  })

  it('closes a connection that stalls mid-body; nothing is stored', async () => {
    const bytes = bytesOf(64 * 1024, 2)
    const z = zDigest(createHash('sha256').update(bytes).digest('hex'))
    const { allocation } = await allocate(server.url, TOKEN, space, z, bytes.length)
    const started = Date.now()
    const outcome = await new Promise<string>((resolve) => {
      const req = request(allocation.url as string, { method: 'PUT', headers: allocation.headers })
      req.on('response', (res) => resolve(`answered ${res.statusCode}`))
      req.on('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? error.message))
      req.write(bytes.subarray(0, 10_000)) // then silence
    })
    const waited = Date.now() - started
    // cut by the server (the client never gives up on its own), within a few idle periods
    expect(outcome).toMatch(/ECONNRESET|socket hang up|answered 408/)
    expect(waited).toBeGreaterThanOrEqual(IDLE_MS * 0.9)
    expect(waited).toBeLessThan(IDLE_MS * 10)
    // the aborted upload is cleaned up: no blob, no temp file
    for (let i = 0; i < 40 && (await temps()).length > 0; i++) await sleep(50)
    expect(await temps()).toEqual([])
    expect((await send(`${server.url}/blob/${z}`, 'HEAD')).status).toBe(404)
  })
})
