/**
 * The BUILT server (`pnpm build` first) with `storage.layout: piri` on a Piri v0.2.4 data
 * directory (flatfs) and on a Piri bucket set (S3), written as Piri writes them
 * (`helpers/piri-fixture.ts`), with Piri's key file as its identity: it serves Piri's blob, claim
 * and journal batch byte-exact, accepts Piri's allocation, and stores what it writes where Piri
 * would.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Child, describeS3, emptyBucket, s3TestClient, startChild } from '@strata/testkit'
import { CBOR } from '@ucanto/core'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generatePem, signerFromPem } from '../../src/identity/index.js'
import { allocate, send, xorshiftBytes } from '../helpers/e2e-helpers.js'
import {
  digestOf,
  levelGet,
  PIRI_BUCKETS,
  type PiriFixture,
  piriFixture,
  writePiriBuckets,
  writePiriDataDir,
} from '../helpers/piri-fixture.js'
import { s3Env } from '../helpers/s3-helpers.js'

let dir: string
let dataDir: string
let keyFile: string
let did: string
let child: Child | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-e2e-piri-'))
  dataDir = join(dir, 'piri')
  keyFile = join(dir, 'service.pem')
  const pem = generatePem()
  await writeFile(keyFile, pem, { mode: 0o600 })
  did = (await signerFromPem(pem, 'test')).did()
})
afterEach(async () => {
  await child?.stop()
  child = undefined
  await rm(dir, { recursive: true, force: true })
})

const piriEnv = () => ({ STRATA_STORAGE_LAYOUT: 'piri', STRATA_IDENTITY_KEY_FILE: keyFile })

/** What every Piri store answers over HTTP, then a new upload; answers the new blob's bytes and flatfs key. */
async function exercise(server: Child, fixture: PiriFixture) {
  expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true, did })
  const { blob } = fixture
  const whole = await send(`${server.url}/blob/${blob.z}`, 'GET')
  expect(whole.status).toBe(200)
  expect(whole.body.equals(blob.bytes)).toBe(true)
  const part = await send(`${server.url}/blob/${blob.z}`, 'GET', { range: 'bytes=1000-1999' })
  expect(part.status).toBe(206)
  expect(part.body.equals(blob.bytes.subarray(1000, 2000))).toBe(true)
  const claim = await send(`${server.url}/claim/${fixture.claim.cid}`, 'GET')
  expect(claim.status).toBe(200)
  expect(claim.body.equals(Buffer.from(fixture.claim.archive))).toBe(true)
  const batch = await send(`${server.url}/receipts/${fixture.journalBatch.cid}`, 'GET')
  expect(batch.status).toBe(200)
  expect(batch.body.equals(Buffer.from(fixture.journalBatch.bytes))).toBe(true)
  // Accepting needs the allocation Piri recorded for that space.
  const accepted = await send(
    `${server.url}/acceptances`,
    'POST',
    { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    JSON.stringify({ space: fixture.space, blob: { digest: blob.z, size: blob.bytes.length } }),
  )
  expect(accepted.status, accepted.body.toString()).toBe(201)
  // A new blob, uploaded through strata.
  const bytes = xorshiftBytes(7, 50_000)
  const added = digestOf(bytes)
  const { allocation } = await allocate(server.url, server.token, fixture.space, added.z, bytes.length)
  const put = await send(allocation.url as string, 'PUT', allocation.headers, bytes)
  expect(put.status, put.body.toString()).toBe(201)
  return { bytes, flatfsKey: added.flatfsKey }
}

describe('storage.layout piri on a Piri data directory (flatfs + LevelDB)', () => {
  it('serves and extends it as Piri would', async () => {
    const fixture = await piriFixture()
    await writePiriDataDir(dataDir, fixture, true)
    child = await startChild({ backend: 'filesystem', dataDir, env: piriEnv() })
    const added = await exercise(child, fixture)
    await child.stop()
    const flatfs = join(dataDir, 'pdp', 'datastore')
    expect((await readFile(join(flatfs, added.flatfsKey))).equals(added.bytes)).toBe(true)
    const acceptance = await levelGet(join(dataDir, 'acceptance'), `/${fixture.allocation.key}`)
    const record = CBOR.decode<Record<string, unknown>>(acceptance ?? new Uint8Array())
    expect(Object.keys(record).sort()).toEqual(['blob', 'cause', 'executedAt', 'space'])
    const walletEntry = await levelGet(join(dataDir, 'wallet'), fixture.walletEntry.key)
    expect(Buffer.from(walletEntry ?? [])).toEqual(fixture.walletEntry.value)
    expect(await readdir(dataDir)).not.toContain('blobs')
    expect(await readdir(dataDir)).not.toContain('journal')
  })
})

describeS3('storage.layout piri on a Piri bucket set (S3)', (settings) => {
  const client = s3TestClient(settings)
  const prefix = `piri-e2e-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-`

  afterAll(async () => {
    for (const bucket of PIRI_BUCKETS) {
      if (!(await client.bucketExists(`${prefix}${bucket}`).catch(() => false))) continue
      await emptyBucket(client, `${prefix}${bucket}`)
      await client.removeBucket(`${prefix}${bucket}`)
    }
  })

  it("serves and extends it as Piri would, in Piri's buckets", async () => {
    const fixture = await piriFixture()
    await writePiriDataDir(dataDir, fixture, false)
    await writePiriBuckets(client, prefix, fixture)
    child = await startChild({ backend: 's3', dataDir, env: { ...piriEnv(), ...s3Env(settings, prefix) } })
    const added = await exercise(child, fixture)
    const object = await client.getObject(`${prefix}pdp`, added.flatfsKey)
    expect(Buffer.concat(await object.toArray()).equals(added.bytes)).toBe(true)
    const stored = await client.getObject(`${prefix}acceptances`, `${fixture.allocation.key}.cbor`)
    const record = CBOR.decode<Record<string, unknown>>(Buffer.concat(await stored.toArray()))
    expect(Object.keys(record).sort()).toEqual(['blob', 'cause', 'executedAt', 'space'])
    // Only Piri's bucket names were made.
    for (const strataOnly of ['blobs', 'consolidations']) {
      expect(await client.bucketExists(`${prefix}${strataOnly}`)).toBe(false)
    }
  })
})
