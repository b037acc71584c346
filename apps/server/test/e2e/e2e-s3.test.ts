/**
 * End-to-end on the s3 backend (a real S3 server: `eval "$(bash scripts/s3-server.sh env)"`):
 * `startServer` in `s3` mode on port 0, driven over real HTTP only, with the same client flow as
 * `strata put` / `strata get` (POST /allocations with the bearer token, PUT to the presigned URL
 * with its signed headers, GET / Range / HEAD / DELETE).
 *
 * Two instances sharing one bucket prefix and one identity. Each instance has its own data dir
 * (its LevelDB wallet, journal and auth-token file are local; LevelDB locks the wallet while an
 * instance runs, so two live instances cannot share one wallet directory). The presign credentials
 * are derived from the identity key bytes (`presignCredentials(did, keyBytes)`, never stored), so
 * "the same identity" means "the same `identity` entry in each wallet". Instance A generates its
 * key at its first start; while A runs, the key is read through A's own keystore
 * (`container.cradle.keystore.get('identity')`) and written into B's (still closed) wallet
 * directory through a `LevelKeyStore` opened, written and closed before B starts; B's
 * `loadIdentity` then finds it instead of generating one. (Copying A's wallet directory with `cp`
 * would also work, but only while A is stopped or before A first starts.)
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelKeyStore } from '@strata/local/keystore'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { describeS3, s3TestClient } from '@strata/testkit'
import { pino } from 'pino'
import { afterAll, afterEach, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { IDENTITY_KEY_NAME } from '../../src/identity/index.js'
import { type RunningServer, startServer } from '../../src/server.js'
import {
  allocate,
  deterministicStream,
  hashedGet,
  hashStream,
  send,
  zDigest,
} from '../helpers/e2e-helpers.js'
import { dropStoreBuckets, s3Storage } from '../helpers/s3-helpers.js'

const MiB = 1024 * 1024
/** A few MiB, not a multiple of anything (the last chunk is short). */
const SIZE = 3 * MiB + 12_345

describeS3('e2e: strata server on S3 over real HTTP', (settings) => {
  const prefix = `strata-e2e-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-`
  const client = s3TestClient(settings)
  const dirs: string[] = []
  const running: RunningServer[] = []

  async function freshDir(label: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `strata-e2e-s3-${label}-`))
    dirs.push(dir)
    return dir
  }

  async function start(dataDir: string, publicUrl?: string): Promise<RunningServer> {
    const config = configSchema.parse({
      server: { host: '127.0.0.1', port: 0, ...(publicUrl === undefined ? {} : { publicUrl }) },
      log: { level: 'silent' },
      storage: {
        backend: 's3',
        dataDir,
        s3: s3Storage(settings, prefix),
      },
    })
    const server = await startServer({ config, logger: pino({ level: 'silent' }) })
    running.push(server)
    return server
  }

  /** Writes `key` as the identity into the (closed) wallet of `dataDir`. */
  async function seedIdentity(dataDir: string, key: Uint8Array): Promise<void> {
    const wallet = new LevelKeyStore({ path: join(dataDir, 'wallet') })
    await wallet.open()
    try {
      await wallet.put(IDENTITY_KEY_NAME, key)
    } finally {
      await wallet.close()
    }
  }

  async function blobKeys(): Promise<string[]> {
    const store = new MinioObjectStore({ client, bucket: `${prefix}blobs` })
    await store.open()
    const keys: string[] = []
    for await (const key of store.list('')) keys.push(key)
    return keys
  }

  /** The first `n` bytes of a deterministic stream. */
  async function head(stream: () => AsyncGenerator<Uint8Array>, n: number): Promise<Buffer> {
    for await (const chunk of stream()) return Buffer.from(chunk.subarray(0, n))
    return Buffer.alloc(0)
  }

  /** Allocates `size` bytes of `stream` through `via` and PUTs them to the presigned URL. */
  async function upload(via: RunningServer, stream: () => AsyncGenerator<Uint8Array>, size: number) {
    const { sha256 } = await hashStream(stream())
    const z = zDigest(sha256)
    const { status, allocation } = await allocate(
      via.url,
      via.container.cradle.authToken,
      via.identity.did,
      z,
      size,
    )
    expect(status).toBe(201)
    expect(allocation.allocated).toBe(true)
    expect(allocation.url?.startsWith(`${via.publicUrl}/blob/${z}?`)).toBe(true)
    const put = await send(allocation.url as string, 'PUT', allocation.headers, stream())
    expect(put.status, put.body.toString()).toBe(201)
    return { z, sha256, put }
  }

  /** Reads `z` through `via`: full (hashed while streaming) and `bytes=0-99`, checked against the source. */
  async function expectReadable(via: RunningServer, z: string, sha256: string, first100: Buffer) {
    const full = await hashedGet(`${via.url}/blob/${z}`)
    expect(full.status).toBe(200)
    expect(full.headers['content-length']).toBe(String(SIZE))
    expect({ sha256: full.sha256, bytes: full.bytes }).toEqual({ sha256, bytes: SIZE })
    const range = await send(`${via.url}/blob/${z}`, 'GET', { range: 'bytes=0-99' })
    expect(range.status).toBe(206)
    expect(range.headers['content-range']).toBe(`bytes 0-99/${SIZE}`)
    expect(range.body).toHaveLength(100)
    expect(range.body.equals(first100)).toBe(true)
  }

  afterEach(async () => {
    for (const server of running.splice(0).reverse()) await server.close()
  })

  afterAll(async () => {
    for (const server of running.splice(0).reverse()) await server.close()
    await dropStoreBuckets(client, prefix)
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('allocate → presigned PUT → GET / Range / HEAD → DELETE → 404; a wrong body is refused (409) and stores nothing', async () => {
    const server = await start(await freshDir('one'))
    expect(server.url).not.toMatch(/:0$/)
    const health = await send(`${server.url}/healthz`, 'GET')
    expect(JSON.parse(health.body.toString())).toEqual({ ok: true, did: server.identity.did })
    expect((await send(`${server.url}/readyz`, 'GET')).status).toBe(200)

    // no token, wrong token: 401 before anything is recorded
    const anonymous = await send(
      `${server.url}/allocations`,
      'POST',
      { 'content-type': 'application/json' },
      '{}',
    )
    expect(anonymous.status).toBe(401)

    const stream = deterministicStream(SIZE, 0x5eed_0001)
    const { z, sha256, put } = await upload(server, stream, SIZE)
    expect(put.headers.etag).toBe(`"${z}"`)
    expect(put.headers.location).toBe(`${server.publicUrl}/blob/${z}`)
    expect(await blobKeys()).toEqual([expect.stringMatching(/^[a-z0-9]{2}\/[a-z0-9]+\.data$/)])

    await expectReadable(server, z, sha256, await head(stream, 100))

    const headAnswer = await send(`${server.url}/blob/${z}`, 'HEAD')
    expect(headAnswer.status).toBe(200)
    expect(headAnswer.headers['content-length']).toBe(String(SIZE))
    expect(headAnswer.headers.etag).toBe(`"${z}"`)
    expect(headAnswer.body).toHaveLength(0)

    // allocating what is stored answers 200 { allocated: false }
    const again = await allocate(server.url, server.container.cradle.authToken, server.identity.did, z, SIZE)
    expect(again).toEqual({ status: 200, allocation: { allocated: false } })

    const unauthorizedDelete = await send(`${server.url}/blob/${z}`, 'DELETE')
    expect(unauthorizedDelete.status).toBe(401)
    const deleted = await send(`${server.url}/blob/${z}`, 'DELETE', {
      authorization: `Bearer ${server.container.cradle.authToken}`,
    })
    expect(deleted.status).toBe(204)
    const gone = await send(`${server.url}/blob/${z}`, 'GET')
    expect(gone.status).toBe(404)
    expect(JSON.parse(gone.body.toString()).error.name).toBe('NotFoundError')
    expect((await send(`${server.url}/blob/${z}`, 'HEAD')).status).toBe(404)
    expect(await blobKeys()).toEqual([])

    // a body that is not the allocated blob: 409, and nothing lands in the blobs bucket
    const wanted = deterministicStream(SIZE, 0x5eed_0002)
    const wrong = deterministicStream(SIZE, 0x5eed_0003)
    const wantedZ = zDigest((await hashStream(wanted())).sha256)
    const { allocation } = await allocate(
      server.url,
      server.container.cradle.authToken,
      server.identity.did,
      wantedZ,
      SIZE,
    )
    const refused = await send(allocation.url as string, 'PUT', allocation.headers, wrong())
    expect(refused.status).toBe(409)
    expect(JSON.parse(refused.body.toString()).error.name).toBe('DigestMismatchError')
    expect(await blobKeys()).toEqual([])
    expect((await send(`${server.url}/blob/${wantedZ}`, 'HEAD')).status).toBe(404)
  })

  it('two instances, one bucket prefix, one identity: upload through A, read through B, and back', async () => {
    const dirA = await freshDir('a')
    const dirB = await freshDir('b')
    const a = await start(dirA)
    // A generated its identity at start; copy the key into B's wallet before B opens it
    const key = await a.container.cradle.keystore.get(IDENTITY_KEY_NAME)
    await seedIdentity(dirB, key)
    const b = await start(dirB)
    expect(b.identity.did).toBe(a.identity.did)
    expect(b.identity.credentials).toEqual(a.identity.credentials)
    expect(b.url).not.toBe(a.url)
    // each instance keeps its own auth token (its own data dir): each is used with its own server
    const tokenA = a.container.cradle.authToken
    const tokenB = b.container.cradle.authToken

    // A → B
    const one = deterministicStream(SIZE, 0x5eed_0004)
    const up1 = await upload(a, one, SIZE)
    await expectReadable(b, up1.z, up1.sha256, await head(one, 100))
    expect((await send(`${b.url}/blob/${up1.z}`, 'HEAD')).headers['content-length']).toBe(String(SIZE))

    // B → A: the allocation is recorded through B (B's token), uploaded through B's presigned URL
    const two = deterministicStream(SIZE, 0x5eed_0005)
    const up2 = await upload(b, two, SIZE)
    await expectReadable(a, up2.z, up2.sha256, await head(two, 100))

    // the tokens are per instance: A's token is not B's
    expect(tokenA).not.toBe(tokenB)
    const crossed = await send(`${b.url}/allocations`, 'POST', {
      authorization: `Bearer ${tokenA}`,
      'content-type': 'application/json',
    })
    expect(crossed.status).toBe(401)

    // a DELETE through B is seen by A (the blobs live in the shared bucket only)
    const deleted = await send(`${b.url}/blob/${up1.z}`, 'DELETE', { authorization: `Bearer ${tokenB}` })
    expect(deleted.status).toBe(204)
    expect((await send(`${a.url}/blob/${up1.z}`, 'GET')).status).toBe(404)
  })

  it('behind one public URL (a load balancer): allocated through A, the presigned PUT lands on B', async () => {
    const publicUrl = 'http://blobs.strata.test:8080'
    const dirA = await freshDir('lb-a')
    const dirB = await freshDir('lb-b')
    const a = await start(dirA, publicUrl)
    await seedIdentity(dirB, await a.container.cradle.keystore.get(IDENTITY_KEY_NAME))
    const b = await start(dirB, publicUrl)
    expect(b.identity.credentials).toEqual(a.identity.credentials)

    const stream = deterministicStream(SIZE, 0x5eed_0006)
    const { sha256 } = await hashStream(stream())
    const z = zDigest(sha256)
    const { allocation } = await allocate(a.url, a.container.cradle.authToken, a.identity.did, z, SIZE)
    const signed = new URL(allocation.url as string)
    expect(signed.origin).toBe(publicUrl)
    // what a proxy in front of both does: same path and query, same Host header, to B's socket
    const toB = new URL(`${b.url}${signed.pathname}${signed.search}`)
    // sent with B's own Host header, the signature fails: Host is signed
    const wrongHost = await send(toB.href, 'PUT', allocation.headers ?? {}, stream())
    expect(wrongHost.status).toBe(401)
    const put = await send(toB.href, 'PUT', { ...allocation.headers, host: signed.host }, stream())
    expect(put.status, put.body.toString()).toBe(201)
    expect(put.headers.location).toBe(`${publicUrl}/blob/${z}`)

    const first = await head(stream, 100)
    await expectReadable(a, z, sha256, first)
    await expectReadable(b, z, sha256, first)
  })
})
