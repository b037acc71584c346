/**
 * Compare-and-swap across two server processes sharing one S3 bucket set (issue 16, "Done when"):
 * label updates racing with one `If-Match` version, and repo imports racing with one `If-Match` head.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FlatfsKeyEncoder, VerifiedBlobStore } from '@strata/blobstore'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { type Child, describeS3, s3TestClient, startChild } from '@strata/testkit'
import { base58btc } from 'multiformats/bases/base58'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { commitCar } from '../helpers/content-ctx.js'
import { dropStoreBuckets, s3Env } from '../helpers/s3-helpers.js'

const ROUNDS = 5
const PER_SERVER = 20
const REPO_ROUNDS = 4

describeS3('compare-and-swap on S3 across two server processes', (settings) => {
  const client = s3TestClient(settings)
  const prefix = `strata-cas-${Date.now().toString(36)}-`
  const dirs: string[] = []
  const servers: Child[] = []
  const refs: string[] = []

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'strata-cas-'))
      dirs.push(dataDir)
      servers.push(
        await startChild({ backend: 's3', dataDir, env: s3Env(settings, prefix), timeoutMs: 60_000 }),
      )
    }
    // the content the labels point at, stored as the servers store blobs (S3 layout)
    const bucket = new MinioObjectStore({ client, bucket: `${prefix}blobs` })
    await bucket.open()
    const blobs = new VerifiedBlobStore({ backend: bucket, keyEncoder: new FlatfsKeyEncoder() })
    for (let i = 0; i < 2 * PER_SERVER; i++) {
      refs.push(base58btc.encode((await blobs.add(new Uint8Array(randomBytes(64)))).digest.bytes))
    }
  })
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
    await dropStoreBuckets(client, prefix)
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  const request = (server: Child, path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${server.token}`, ...(init.headers as Record<string, string>) },
    })
  const putLabel = (server: Child, ref: string, headers: Record<string, string>) =>
    request(server, '/labels/actor/123/head', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ ref }),
    })

  it(`label: exactly one of 2 x ${PER_SERVER} If-Match updates wins per version, ${ROUNDS} rounds`, async () => {
    const [a, b] = servers as [Child, Child]
    const started = Date.now()
    const created = await putLabel(a, refs[0] as string, { 'if-none-match': '*' })
    expect(created.status).toBe(201)
    let version = ((await created.json()) as { version: string }).version
    for (let round = 0; round < ROUNDS; round++) {
      const attempts = refs.map((ref, i) => ({ ref, server: i % 2 === 0 ? a : b }))
      const answers = await Promise.all(
        attempts.map(({ server, ref }) => putLabel(server, ref, { 'if-match': `"${version}"` })),
      )
      const statuses = answers.map((answer) => answer.status)
      expect(
        statuses.filter((status) => status === 200),
        `round ${round}: ${statuses}`,
      ).toHaveLength(1)
      expect(statuses.filter((status) => status === 412)).toHaveLength(2 * PER_SERVER - 1)
      const won = answers.findIndex((answer) => answer.status === 200)
      const winner = (await (answers[won] as Response).json()) as { ref: string; version: string }
      for (const answer of answers) if (!answer.bodyUsed) await answer.body?.cancel()
      expect(winner.ref).toBe(attempts[won]?.ref)
      expect(winner.version).not.toBe(version)
      for (const server of servers) {
        const read = await request(server, '/labels/actor/123/head')
        expect(await read.json()).toMatchObject({ ref: winner.ref, version: winner.version })
      }
      version = winner.version
    }
    console.log(`label CAS on S3: ${ROUNDS} rounds x ${2 * PER_SERVER} updates in ${Date.now() - started} ms`)
  })

  it(`repo: one of two racing PUTs with one If-Match head wins; a failed import never moves it, ${REPO_ROUNDS} rounds`, async () => {
    const [a, b] = servers as [Child, Child]
    const did = 'did:plc:casrace'
    const putRepo = (server: Child, car: Uint8Array, headers: Record<string, string>) =>
      request(server, `/repos/${did}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.ipld.car', ...headers },
        body: car,
      })
    const first = commitCar('first', null)
    expect((await putRepo(a, first.bytes, { 'if-none-match': '*' })).status).toBe(201)
    let head = first.commit.cid.toString()
    for (let round = 0; round < REPO_ROUNDS; round++) {
      const racers = [commitCar(`a${round}`, null), commitCar(`b${round}`, null)]
      const corrupt = new Uint8Array(commitCar(`bad${round}`, null).bytes)
      corrupt[corrupt.byteLength - 1] = (corrupt[corrupt.byteLength - 1] as number) ^ 1
      const answers = await Promise.all([
        putRepo(a, racers[0]?.bytes as Uint8Array, { 'if-match': `"${head}"` }),
        putRepo(b, racers[1]?.bytes as Uint8Array, { 'if-match': `"${head}"` }),
        putRepo(round % 2 === 0 ? a : b, corrupt, { 'if-match': `"${head}"` }),
      ])
      const [one, two, failed] = answers.map((answer) => answer.status)
      expect([one, two].sort(), `round ${round}`).toEqual([200, 412])
      expect(failed).toBe(409)
      for (const answer of answers) await answer.body?.cancel()
      const winner = racers[one === 200 ? 0 : 1]
      head = winner?.commit.cid.toString() as string
      for (const server of servers) {
        const read = (await (await request(server, `/repos/${did}/head`)).json()) as { head: string }
        expect(read.head).toBe(head)
      }
    }
  })
})
