import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { describeS3, s3TestClient } from '@strata/testkit'
import { ed25519 } from '@ucanto/principal'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BUCKET_SUFFIXES, type Config, configSchema } from '../../src/config/index.js'
import { createContainer, STORE_NAMES, type StrataContainer } from '../../src/container/index.js'
import { dropStoreBuckets, s3Storage } from '../helpers/s3-helpers.js'

const quiet = pino({ level: 'silent' })
let dataDir: string
const running: StrataContainer[] = []

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-container-s3-'))
})
afterEach(async () => {
  for (const app of running.splice(0)) await app.stop()
  await rm(dataDir, { recursive: true, force: true })
})

function s3Config(s3: Record<string, unknown>): Config {
  return configSchema.parse({ storage: { backend: 's3', dataDir, s3 } })
}

function make(config: Config): StrataContainer {
  const app = createContainer(config, { logger: quiet })
  running.push(app)
  return app
}

async function keysOf(client: ReturnType<typeof s3TestClient>, bucket: string): Promise<string[]> {
  const keys: string[] = []
  const store = new MinioObjectStore({ client, bucket })
  await store.open()
  for await (const key of store.list('')) keys.push(key)
  return keys.sort()
}

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  let out = ''
  for await (const chunk of body) out += Buffer.from(chunk).toString()
  return out
}

describeS3('container, s3 backend', (settings) => {
  const prefix = `strata-ct-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-`
  const client = s3TestClient(settings)
  const config = () => s3Config(s3Storage(settings, prefix))

  afterAll(async () => {
    await dropStoreBuckets(client, prefix)
  })

  it('creates one bucket per store, stores Piri-style keys, keeps local stores on disk', async () => {
    const app = make(config())
    await app.start()
    for (const name of BUCKET_SUFFIXES) expect(await client.bucketExists(`${prefix}${name}`), name).toBe(true)
    expect(app.locations.blobs).toBe(`s3://${prefix}blobs`)
    expect(app.locations.blocks).toBe(`s3://${prefix}blocks`)

    const bytes = new TextEncoder().encode('hello world')
    const digest = await sha256.digest(bytes)
    const space = (await ed25519.generate()).did()
    const cause = CID.create(1, 0x71, digest)
    await app.cradle.blobs.put(digest, bytes.length, bytes)
    await app.cradle.allocations.put({
      space,
      blob: { digest, size: bytes.length },
      expires: 4_102_444_800,
      cause,
    })
    await app.cradle.keystore.put('persisted-key', new Uint8Array([1]))

    expect(await keysOf(client, `${prefix}blobs`)).toEqual([
      '32/ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i.data',
    ])
    expect(await keysOf(client, `${prefix}allocations`)).toEqual([
      `zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4/${space}.cbor`,
    ])
    expect((await stat(join(dataDir, 'wallet'))).isDirectory()).toBe(true)
    expect((await stat(join(dataDir, 'journal', 'egress.car.wip'))).isFile()).toBe(true)
    expect((await app.cradle.readiness()).ready).toBe(true)
    await app.stop()

    const again = make(config())
    await again.start()
    const { size, body } = await again.cradle.blobs.get(digest, { range: { start: 6 } })
    expect(size).toBe(11)
    expect(await text(body)).toBe('world')
    expect((await again.cradle.allocations.getAnyNonExpired(digest, 1_700_000_000)).space).toBe(space)
  })
})

/** A TCP proxy to `target` that can stop answering (`silent`) or close its port (`close`). */
async function tcpProxy(target: URL) {
  const sockets = new Set<Socket>()
  let silent = false
  const server: Server = createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => {})
    if (silent) return // accept, never answer
    const upstream = connect(Number(target.port), target.hostname)
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.destroy())
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const dropAll = () => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** From now on, accept and never answer (pooled connections are dropped). */
    async silence() {
      silent = true
      dropAll()
      await new Promise((resolve) => setTimeout(resolve, 50)) // let the client see the drops
    },
    async close() {
      dropAll()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

describeS3('container, s3 backend becoming unreachable', (settings) => {
  const prefix = `strata-cu-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-`
  const client = s3TestClient(settings)
  const creds = { region: settings.region, accessKey: settings.accessKey, secretKey: settings.secretKey }

  afterAll(async () => {
    await dropStoreBuckets(client, prefix)
  })

  it('is not ready, quickly, once the S3 port is closed', async () => {
    const proxy = await tcpProxy(new URL(settings.endpoint))
    const app = make(s3Config({ endpoint: proxy.endpoint, bucketPrefix: prefix, ...creds }))
    await app.start()
    expect((await app.cradle.readiness()).ready).toBe(true)
    await proxy.close()
    const t0 = performance.now()
    const report = await app.cradle.readiness({ timeoutMs: 1000 })
    expect(performance.now() - t0).toBeLessThan(1500)
    expect(report.ready).toBe(false)
    for (const name of [...STORE_NAMES, 'blocks'])
      expect(report.checks[name], name).toMatchObject({ ok: false })
    expect(report.checks.blobs?.error).toMatch(/unavailable|ECONNREFUSED/i)
    expect(report.checks.keystore?.ok).toBe(true)
  })

  it('is not ready within the timeout when S3 accepts connections and never answers', async () => {
    const proxy = await tcpProxy(new URL(settings.endpoint))
    const app = make(s3Config({ endpoint: proxy.endpoint, bucketPrefix: prefix, ...creds }))
    await app.start()
    await proxy.silence()
    const t0 = performance.now()
    const report = await app.cradle.readiness({ timeoutMs: 300 })
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(report.ready).toBe(false)
    expect(report.checks.blobs?.error).toMatch(/timed out after 300 ms|abort/i)
    await proxy.close()
  })
})

describe('container, s3 backend on a closed port', () => {
  it('fails to start, naming the first bucket, within the request timeout', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as { port: number }
    await new Promise((resolve) => probe.close(resolve))
    const app = make(
      s3Config({ endpoint: `http://127.0.0.1:${port}`, accessKey: 'nobody', secretKey: 'nothing' }),
    )
    await expect(app.start()).rejects.toMatchObject({
      name: 'StartupError',
      resource: 'blobs (s3 bucket strata-blobs)',
    })
    const report = await app.cradle.readiness({ timeoutMs: 500 })
    expect(report.ready).toBe(false)
    expect(report.checks.started?.ok).toBe(false)
  })
})
