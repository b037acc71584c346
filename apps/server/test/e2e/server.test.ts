import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises'
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { patternStream } from '@strata/objectstore/testing'
import { base58btc } from 'multiformats/bases/base58'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { type RunningServer, startServer } from '../../src/server.js'

const MiB = 1024 * 1024
let dataDir: string
let lines: Array<Record<string, unknown>>
let running: RunningServer | undefined

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-server-'))
  lines = []
})
afterEach(async () => {
  await running?.close()
  running = undefined
  await rm(dataDir, { recursive: true, force: true })
})

async function start(shutdownTimeoutMs?: number): Promise<RunningServer> {
  const config = configSchema.parse({
    server: { host: '127.0.0.1', port: 0 },
    storage: { backend: 'filesystem', dataDir },
  })
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
  running = await startServer({
    config,
    logger,
    ...(shutdownTimeoutMs === undefined ? {} : { shutdownTimeoutMs }),
  })
  return running
}

/** Opens a request and answers as soon as the response headers arrive. */
function open(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ res: IncomingMessage; destroy: () => void }>((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) =>
      resolve({ res, destroy: () => req.destroy() }),
    )
    req.on('error', reject)
    req.end()
  })
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Open file descriptors of this process that point at a flatfs `.data` file (Linux only). */
async function openBlobFiles(): Promise<number> {
  const fds = await readdir('/proc/self/fd')
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')))
  return targets.filter((target) => target.startsWith(dataDir) && target.endsWith('.data')).length
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for condition')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('startServer (filesystem, port 0)', () => {
  it('serves a range of a stored blob over real HTTP, and /healthz with the node DID', async () => {
    const server = await start()
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.url).not.toMatch(/:0$/)
    const bytes = Buffer.alloc(1000)
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251
    const digest = await sha256.digest(bytes)
    await server.container.cradle.blobs.put(digest, bytes.length, bytes)

    const { res } = await open(`${server.url}/blob/${base58btc.encode(digest.bytes)}`, {
      range: 'bytes=0-99',
    })
    expect(res.statusCode).toBe(206)
    expect(res.headers['content-range']).toBe('bytes 0-99/1000')
    const body = await readAll(res)
    expect(body).toHaveLength(100)
    expect(body.equals(bytes.subarray(0, 100))).toBe(true)

    const health = await open(`${server.url}/healthz`)
    expect(health.res.headers['content-length']).toBeDefined()
    expect(health.res.headers['transfer-encoding']).toBeUndefined()
    expect(JSON.parse((await readAll(health.res)).toString())).toEqual({ ok: true, did: server.identity.did })
    expect(server.identity.did).toMatch(/^did:key:z6Mk/)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    await until(() => lines.filter((line) => line.msg === 'request').length === 3)
    expect(lines.find((line) => line.msg === 'request')).toMatchObject({ status: 206, bytesOut: 100 })
  })

  it('closes gracefully: in-flight downloads finish, then nothing is accepted and the stores are closed', async () => {
    const server = await start()
    const pattern = patternStream(16 * MiB)
    const digest = createDigest(0x12, Buffer.from(pattern.sha256(), 'hex'))
    await server.container.cradle.blobs.put(digest, 16 * MiB, pattern.stream())
    const { res } = await open(`${server.url}/blob/${base58btc.encode(digest.bytes)}`)
    expect(res.statusCode).toBe(200)
    const closing = server.close()
    const body = await readAll(res)
    expect(body).toHaveLength(16 * MiB)
    await closing
    running = undefined
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
    // stopped: the auth token is released with the other resources (readiness() on a stopped
    // filesystem container is avoided here: its LevelDB probes throw synchronously, see report)
    expect(() => server.container.cradle.authToken).toThrow(/once the container is started/)
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']))
  })

  it('keep-alive connections do not hold the shutdown until its bound', async () => {
    const server = await start()
    const agent = new Agent({ keepAlive: true })
    const get = (path: string) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        httpRequest(`${server.url}${path}`, { agent }, resolve).on('error', reject).end()
      })
    await readAll(await get('/healthz')) // an idle keep-alive connection
    const inFlight = await get('/metrics') // a second one, busy while close() begins
    const startedAt = Date.now()
    const closing = server.close()
    expect((await readAll(inFlight)).toString()).toContain('strata_http_requests_total')
    await closing
    running = undefined
    expect(Date.now() - startedAt).toBeLessThan(2000)
    agent.destroy()
  })

  it('cuts in-flight requests after the shutdown bound', async () => {
    const server = await start(200)
    const pattern = patternStream(32 * MiB)
    const digest = createDigest(0x12, Buffer.from(pattern.sha256(), 'hex'))
    await server.container.cradle.blobs.put(digest, 32 * MiB, pattern.stream())
    const { res } = await open(`${server.url}/blob/${base58btc.encode(digest.bytes)}`)
    res.pause() // a client that never reads
    const startedAt = Date.now()
    await server.close()
    running = undefined
    expect(Date.now() - startedAt).toBeLessThan(5000)
    expect(lines.some((line) => /did not finish in time/.test(String(line.msg)))).toBe(true)
  })

  it.skipIf(process.platform !== 'linux')(
    'a client that disconnects mid-body releases the backend file and is logged as aborted',
    async () => {
      const server = await start()
      const pattern = patternStream(64 * MiB)
      const digest = createDigest(0x12, Buffer.from(pattern.sha256(), 'hex'))
      await server.container.cradle.blobs.put(digest, 64 * MiB, pattern.stream())
      // flatfs keeps the file of a recent read open (its open-file cache, shared by readers):
      // aborted downloads must release their reads, so the count never grows past that one file.
      for (let round = 0; round < 4; round++) {
        const { res, destroy } = await open(`${server.url}/blob/${base58btc.encode(digest.bytes)}`)
        await new Promise((resolve) => res.once('data', resolve))
        expect(await openBlobFiles()).toBe(1)
        destroy()
      }
      await until(() => lines.filter((line) => line.msg === 'request').length === 4)
      expect(await openBlobFiles()).toBe(1)
      // A read never released would keep its file open past the store's close.
      await server.close()
      await until(async () => (await openBlobFiles()) === 0)
      const line = lines.find((entry) => entry.msg === 'request')
      expect(line).toMatchObject({ status: 200, aborted: true })
      expect(Number(line?.bytesOut)).toBeLessThan(64 * MiB)
    },
  )

  it('refuses to start on a busy port and closes the stores again', async () => {
    const first = await start()
    const port = Number(new URL(first.url).port)
    const other = await mkdtemp(join(tmpdir(), 'strata-server-busy-'))
    try {
      const config = configSchema.parse({
        server: { port },
        storage: { backend: 'filesystem', dataDir: other },
      })
      await expect(startServer({ config, logger: pino({ level: 'silent' }) })).rejects.toThrow(/EADDRINUSE/)
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })
})
