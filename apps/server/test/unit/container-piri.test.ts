/**
 * `storage.layout: piri`: the container opens a Piri v0.2.4 data directory or bucket set, written
 * the way Piri writes it (`helpers/piri-fixture.ts`), and reads every store from it — the records
 * no HTTP route reads included (receipts by ran, consolidations, acceptances) — and writes what it
 * writes where Piri would.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeS3, s3TestClient } from '@strata/testkit'
import { CBOR } from '@ucanto/core'
import { CID } from 'multiformats/cid'
import { pino } from 'pino'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConfigInput, configSchema } from '../../src/config/index.js'
import { type Cradle, createContainer, type StrataContainer } from '../../src/container/index.js'
import { generatePem } from '../../src/identity/index.js'
import { retrievalReceipt } from '../helpers/e2e-helpers.js'
import {
  levelGet,
  PIRI_BUCKETS,
  type PiriFixture,
  piriFixture,
  writePiriBuckets,
  writePiriDataDir,
} from '../helpers/piri-fixture.js'
import { s3Storage } from '../helpers/s3-helpers.js'

const quiet = pino({ level: 'silent' })
let dir: string
let dataDir: string
let keyFile: string
const running: StrataContainer[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-piri-'))
  dataDir = join(dir, 'piri')
  keyFile = join(dir, 'service.pem')
  await writeFile(keyFile, generatePem(), { mode: 0o600 })
})
afterEach(async () => {
  for (const app of running.splice(0)) await app.stop()
  await rm(dir, { recursive: true, force: true })
})

async function start(storage: NonNullable<ConfigInput['storage']>): Promise<StrataContainer> {
  const config = configSchema.parse({
    identity: { keyFile },
    storage: { dataDir, layout: 'piri', ...storage },
  })
  const app = createContainer(config, { logger: quiet })
  await app.start()
  running.push(app)
  return app
}

async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** Every store of the container answers the fixture's data as Piri stored it. */
async function expectPiriData(cradle: Cradle, fixture: PiriFixture, legacy: boolean): Promise<void> {
  const { blob } = fixture
  const whole = await cradle.blobs.get(blob.multihash)
  expect(await bytesOf(whole.body)).toEqual(blob.bytes)
  const allocation = await cradle.allocations.getAnyNonExpired(blob.multihash, 1_700_000_000)
  expect(allocation).toMatchObject({ space: fixture.space, expires: 4_102_444_800 })
  const acceptance = await cradle.acceptances.get(blob.multihash, fixture.space as `did:key:${string}`)
  expect(acceptance.executedAt).toBe(1_700_000_000)
  expect(Buffer.from(await cradle.claims.getArchive(CID.parse(fixture.claim.cid)))).toEqual(
    Buffer.from(fixture.claim.archive),
  )
  const receipt = await cradle.receipts.getByRan(fixture.receipt.ranCid)
  expect(receipt.link().toString()).toBe(fixture.receipt.cid)
  const { consolidation: c } = fixture
  const current = await cradle.consolidations.get(CID.parse(c.current.batch))
  expect(current.trackInvocation.cid.toString()).toBe(c.trackCid)
  expect(current.consolidateInvocationCID.toString()).toBe(c.consolidateCid)
  if (legacy) {
    const old = await cradle.consolidations.get(CID.parse(c.legacy.batch))
    expect(old.trackInvocation.cid.toString()).toBe(c.trackCid)
    expect(old.consolidateInvocationCID.toString()).toBe(c.consolidateCid)
  }
  const batch = await cradle.journal.getBatch(CID.parse(fixture.journalBatch.cid))
  expect(await bytesOf(batch.body)).toEqual(Buffer.from(fixture.journalBatch.bytes))
}

describe('storage.layout piri on a Piri data directory (filesystem)', () => {
  it('reads every store where Piri keeps it, and writes where Piri would', async () => {
    const fixture = await piriFixture()
    await writePiriDataDir(dataDir, fixture, true)
    const app = await start({ backend: 'filesystem' })
    expect(app.locations).toMatchObject({
      blobs: join(dataDir, 'pdp', 'datastore'),
      allocations: join(dataDir, 'allocation'),
      consolidations: join(dataDir, 'consolidation'),
      keystore: join(dataDir, 'wallet'),
      journal: join(dataDir, 'egress_tracker', 'journal'),
    })
    await expectPiriData(app.cradle, fixture, true)
    const issued = await retrievalReceipt(1)
    await app.cradle.receipts.put(issued)
    await app.stop()
    const receipts = join(dataDir, 'receipt')
    expect(await levelGet(receipts, `/receipts/${issued.link()}`)).toBeDefined()
    const ranIndex = await levelGet(receipts, `/ranLinkIndex/${issued.ran.link()}`)
    expect(Buffer.from(ranIndex ?? [])).toEqual(Buffer.from(issued.link().bytes))
    // Piri's own wallet entry is left; strata's names (blobs/, journal/) are not created. Only
    // strata's own stores, which Piri has no counterpart for, are added: blocks/, cars/, gc/, labels/, owners/.
    expect(Buffer.from((await levelGet(join(dataDir, 'wallet'), fixture.walletEntry.key)) ?? [])).toEqual(
      fixture.walletEntry.value,
    )
    expect((await readdir(dataDir)).sort()).toEqual(
      [
        'acceptance',
        'auth-token',
        'aggregator',
        'allocation',
        'blocks',
        'cars',
        'claim',
        'consolidation',
        'egress_tracker',
        'gc',
        'labels',
        'owners',
        'pdp',
        'publisher',
        'receipt',
        'wallet',
      ].sort(),
    )
  })

  it('starts on an empty directory and lays it out as Piri does', async () => {
    const app = await start({ backend: 'filesystem' })
    const bytes = randomBytes(1000)
    const { sha256 } = await import('multiformats/hashes/sha2')
    const digest = await sha256.digest(bytes)
    await app.cradle.blobs.put(digest, bytes.length, bytes)
    await app.stop()
    const shards = (await readdir(join(dataDir, 'pdp', 'datastore'))).filter((name) =>
      /^[a-z2-7]{2}$/.test(name),
    )
    expect(shards).toHaveLength(1)
    expect(await readdir(join(dataDir, 'pdp', 'datastore'))).toEqual(
      expect.arrayContaining(['SHARDING', '_README', ...shards]),
    )
  })
})

describeS3('storage.layout piri on a Piri bucket set (s3)', (settings) => {
  const client = s3TestClient(settings)
  const prefixes: string[] = []

  afterAll(async () => {
    const { emptyBucket } = await import('@strata/testkit')
    for (const prefix of prefixes) {
      for (const bucket of PIRI_BUCKETS) {
        await emptyBucket(client, `${prefix}${bucket}`)
        await client.removeBucket(`${prefix}${bucket}`)
      }
    }
  })

  it("reads every store from Piri's buckets, and writes receipts in Piri's S3 layout", async () => {
    const prefix = `piri-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-`
    prefixes.push(prefix)
    const fixture = await piriFixture()
    await writePiriDataDir(dataDir, fixture, false)
    await writePiriBuckets(client, prefix, fixture)
    const app = await start({ backend: 's3', s3: s3Storage(settings, prefix) })
    expect(app.locations).toMatchObject({
      blobs: `s3://${prefix}pdp`,
      consolidations: `s3://${prefix}consolidation`,
      journal: join(dataDir, 'egress_tracker', 'journal'),
    })
    await expectPiriData(app.cradle, fixture, false)
    const issued = await retrievalReceipt(2)
    await app.cradle.receipts.put(issued)
    const ref = await client.getObject(`${prefix}receipts`, `receipts-ran/${issued.ran.link()}.ref`)
    expect(Buffer.concat(await ref.toArray()).toString()).toBe(issued.link().toString())
    expect((await client.statObject(`${prefix}receipts`, issued.link().toString())).size).toBeGreaterThan(0)
    // An acceptance goes to {prefix}acceptances as <z digest>/<did>.cbor, DAG-CBOR.
    const space = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' as const
    await app.cradle.acceptances.put({
      space,
      blob: { digest: fixture.blob.multihash, size: fixture.blob.bytes.length },
      executedAt: 1,
      cause: CID.parse(fixture.claim.cid),
    })
    const stored = await client.getObject(`${prefix}acceptances`, `${fixture.blob.z}/${space}.cbor`)
    expect(CBOR.decode<Record<string, unknown>>(Buffer.concat(await stored.toArray()))).toMatchObject({
      executedAt: 1,
    })
  })
})
