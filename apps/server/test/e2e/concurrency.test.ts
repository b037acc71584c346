/**
 * Concurrency on the filesystem and s3 backends (`startServer` in-process on port 0, driven over
 * real HTTP with a keep-alive agent):
 *
 * (a) One blob uploaded by 20 clients at once (each allocates, then all PUT together): every client
 *     gets 201 (stored) or 200 (already stored), exactly one copy exists (flatfs: one `.data`
 *     file, `.temp` empty; S3: one object, no incomplete multipart upload) and GET returns it.
 *     One upload of a digest writes at a time (`UploadAdmission`, per server instance): the others
 *     wait for it without reading their bodies, then find the blob stored and answer 200. So no
 *     honest client sees an error, and at most one temp file is staged for the digest (sampled on
 *     flatfs while the 20 PUTs run).
 *
 * (b) An upload racing `DELETE /blob/:digest`, 20 rounds, each with a blob already stored and a
 *     new one, the DELETE sent 0–400 ms after the PUT starts. The defined semantics (what the code
 *     does: flatfs and S3 commit with one atomic rename / PutObject / CompleteMultipartUpload, and
 *     DELETE removes the committed object):
 *     DELETE removes what is committed at that moment; an upload that commits after the delete
 *     makes the blob present again. So the PUT answers 201 (it committed) or 200 (the blob was
 *     committed when it looked, and its body was not read), the DELETE 204, and afterwards the
 *     blob is either absent (GET 404) or present and intact (GET 200, the right bytes) — never
 *     partial, never a 500, no temp file or incomplete upload left.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { describeS3, incompleteUploads, type S3TestSettings, s3TestClient } from '@strata/testkit'
import { base58btc } from 'multiformats/bases/base58'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { type RunningServer, startServer } from '../../src/server.js'
import { exchange, LoadClient } from '../helpers/load-client.js'
import { type SeededBlob, seededBlob } from '../helpers/load-content.js'
import { dropStoreBuckets, s3Storage } from '../helpers/s3-helpers.js'

const MiB = 1024 * 1024
const ROUNDS = 20

/** How a backend is started and inspected. */
interface Mode {
  /** Starts a server on a fresh data dir (and fresh buckets). */
  start(): Promise<RunningServer>
  /** The stored objects of the blobs store, by backend key (a key twice would be two copies). */
  objects(): Promise<string[]>
  /** Temp files (flatfs) or incomplete multipart uploads (S3) left in the blobs store. */
  leftovers(): Promise<number>
  /** Temp files staged right now (flatfs only: sampled while uploads run). */
  staged?(): Promise<number>
  cleanup(): Promise<void>
}

function suite(mode: Mode): void {
  let server: RunningServer
  let client: LoadClient
  // Keep-alive for everything but the PUTs, which may be answered without their body being read
  // (already stored) and so go on connections of their own (see `LoadClient.put`).
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const runSeed = randomBytes(4).readUInt32BE(0)
  afterAll(async () => {
    agent.destroy()
    await server?.close()
    await mode.cleanup()
  })
  const keyOf = (blob: SeededBlob) =>
    server.container.cradle.blobs.keyOf(decodeDigest(base58btc.decode(blob.digest)))
  const ready = async () => {
    server ??= await mode.start()
    client ??= new LoadClient(server.url, server.container.cradle.authToken, agent)
    return { space: server.identity.did }
  }
  /** GET: 200 with the right bytes (checked as they arrive) or 404; anything else throws. */
  const finalState = async (blob: SeededBlob): Promise<'present' | 'absent'> => {
    const status = await client.getWhole(blob)
    const head = await exchange(`${server.url}/blob/${blob.digest}`, 'HEAD', { agent })
    expect(head.status).toBe(status) // settled: HEAD agrees with GET
    if (status === 200) return 'present'
    expect(status).toBe(404)
    return 'absent'
  }
  const remove = (blob: SeededBlob) =>
    exchange(`${server.url}/blob/${blob.digest}`, 'DELETE', {
      agent,
      headers: { authorization: `Bearer ${client.token}` },
    })

  it('(a) one blob uploaded by 20 clients at once: all succeed, exactly one copy, intact', async () => {
    const { space } = await ready()
    const blob = seededBlob(runSeed, 8 * MiB)
    const allocations = await Promise.all(Array.from({ length: 20 }, () => client.allocate(blob, space)))
    for (const allocation of allocations) expect(allocation.url).toBeDefined()
    let sampling = true
    let mostStaged = 0
    const sampler = (async () => {
      while (sampling && mode.staged) {
        mostStaged = Math.max(mostStaged, await mode.staged())
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    })()
    const statuses = await Promise.all(
      allocations.map((a) => client.put(blob, a.url as string, a.headers as Record<string, string>, true)),
    ).finally(() => {
      sampling = false
    })
    await sampler
    expect(mostStaged).toBeLessThanOrEqual(1)
    console.log(
      `same blob by 20 clients: ${statuses.filter((s) => s === 201).length} × 201, ${statuses.filter((s) => s === 200).length} × 200`,
    )
    for (const status of statuses) expect([200, 201]).toContain(status)
    expect(statuses).toContain(201)
    // clients coming late are told it is stored (200), their bodies unread
    const late = await Promise.all(
      allocations
        .slice(0, 3)
        .map((a) => client.put(blob, a.url as string, a.headers as Record<string, string>, true)),
    )
    expect(late).toEqual([200, 200, 200])
    expect(await mode.objects()).toEqual([keyOf(blob)])
    expect(await mode.leftovers()).toBe(0)
    expect(await finalState(blob)).toBe('present')
    expect(client.stats.corruptions).toBe(0)
  })

  it('(b) upload racing DELETE: 201/200 and 204 only; afterwards absent or present and intact', async () => {
    const { space } = await ready()
    const outcomes = new Map<string, number>()
    const tally = (label: string) => outcomes.set(label, (outcomes.get(label) ?? 0) + 1)
    const race = async (blob: SeededBlob, upload: { url?: string; headers?: Record<string, string> }) => {
      // half the DELETEs early (mostly before the commit), half later (often after it)
      const delay = Math.random() < 0.5 ? Math.random() * 40 : 40 + Math.random() * 360
      const [put, del] = await Promise.all([
        client.put(blob, upload.url as string, upload.headers as Record<string, string>, true),
        new Promise((resolve) => setTimeout(resolve, delay)).then(() => remove(blob)),
      ])
      return { put, del: del.status, final: await finalState(blob) }
    }
    const round = async (i: number) => {
      // even rounds whole-body puts on S3 (≤ one 8 MiB part), odd rounds multipart
      const size = i % 2 === 0 ? 6 * MiB + i : 9 * MiB + i
      const stored = seededBlob(runSeed + 1000 + 2 * i, size)
      const fresh = seededBlob(runSeed + 1001 + 2 * i, size)
      // the stored blob goes up through its allocation's URL, which the racing PUT reuses
      const storedUpload = await client.allocate(stored, space)
      expect(
        await client.put(stored, storedUpload.url as string, storedUpload.headers as Record<string, string>),
      ).toBe(201)
      const freshUpload = await client.allocate(fresh, space)
      const [a, b] = await Promise.all([race(stored, storedUpload), race(fresh, freshUpload)])
      for (const [label, outcome] of [
        ['stored', a],
        ['new', b],
      ] as const) {
        expect([200, 201]).toContain(outcome.put)
        expect(outcome.del).toBe(204)
        tally(`${label}: PUT ${outcome.put}, ${outcome.final}`)
      }
      // A stored blob's PUT answers 200 only if the blob was still committed when it looked, so
      // the DELETE came later and removed it; 201 only if the DELETE came first, so the PUT
      // committed after it and the blob is back.
      expect(a.final).toBe(a.put === 200 ? 'absent' : 'present')
      // a new blob is not stored when its PUT looks: it is always written (and present unless
      // the DELETE came after the commit)
      expect(b.put).toBe(201)
    }
    for (let i = 0; i < ROUNDS; i += 2) await Promise.all([round(i), round(i + 1)])
    console.log(`upload vs DELETE, ${ROUNDS} rounds: ${JSON.stringify(Object.fromEntries(outcomes))}`)
    expect(client.stats.corruptions).toBe(0)
    expect(await mode.leftovers()).toBe(0)
  })
}

describe('concurrency on filesystem', () => {
  const dirs: string[] = []
  let blobsDir = ''
  suite({
    async start() {
      const dataDir = await mkdtemp(join(tmpdir(), 'strata-concurrency-fs-'))
      dirs.push(dataDir)
      blobsDir = join(dataDir, 'blobs')
      const config = configSchema.parse({
        server: { host: '127.0.0.1', port: 0 },
        log: { level: 'silent' },
        storage: { backend: 'filesystem', dataDir },
      })
      return startServer({ config, logger: pino({ level: 'silent' }) })
    },
    async objects() {
      const keys: string[] = []
      for (const shard of await readdir(blobsDir, { withFileTypes: true })) {
        if (!shard.isDirectory() || shard.name === '.temp') continue
        for (const name of await readdir(join(blobsDir, shard.name))) {
          if (name.endsWith('.data')) keys.push(name.slice(0, -'.data'.length))
        }
      }
      return keys
    },
    async leftovers() {
      return (await readdir(join(blobsDir, '.temp'))).length
    },
    async staged() {
      return (await readdir(join(blobsDir, '.temp')).catch(() => [])).length
    },
    async cleanup() {
      for (const dir of dirs) await rm(dir, { recursive: true, force: true })
    },
  })
})

describeS3('concurrency on s3', (settings: S3TestSettings) => {
  const prefix = `strata-conc-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-`
  const s3 = s3TestClient(settings)
  const bucket = `${prefix}blobs`
  const dirs: string[] = []
  suite({
    async start() {
      const dataDir = await mkdtemp(join(tmpdir(), 'strata-concurrency-s3-'))
      dirs.push(dataDir)
      const config = configSchema.parse({
        server: { host: '127.0.0.1', port: 0 },
        log: { level: 'silent' },
        storage: {
          backend: 's3',
          dataDir,
          s3: s3Storage(settings, prefix),
        },
      })
      return startServer({ config, logger: pino({ level: 'silent' }) })
    },
    async objects() {
      const store = new MinioObjectStore({ client: s3, bucket })
      await store.open()
      const keys: string[] = []
      for await (const key of store.list('')) keys.push(key)
      return keys
    },
    async leftovers() {
      return (await incompleteUploads(s3, bucket)).length
    },
    async cleanup() {
      await dropStoreBuckets(s3, prefix)
      for (const dir of dirs) await rm(dir, { recursive: true, force: true })
    },
  })
})
