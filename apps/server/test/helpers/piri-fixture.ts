/**
 * A Piri v0.2.4 node's data, written the way Piri writes it, without strata's stores: raw LevelDB
 * keys as go-ds-leveldb stores them (`/<key>`), flatfs files at `pdp/datastore/<NN>/<base32>.data`,
 * S3 objects under Piri's bucket names and keys (`pkg/fx/store`, `pkg/store/*store/store.go`).
 * Values are encoded with ucanto and its DAG-CBOR codec (the byte layouts strata's golden tests pin
 * to Piri's). The names: docs/architecture.md, "The Piri layout".
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CAR, CBOR, Delegation, DID, delegate, invoke, Receipt } from '@ucanto/core'
import { ed25519 } from '@ucanto/principal'
import { LevelDatastore } from 'datastore-level'
import type { Client } from 'minio'
import { base32 } from 'multiformats/bases/base32'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { xorshiftBytes } from './e2e-helpers.js'

/** Piri's S3 bucket suffixes (`pkg/fx/store/s3/provider.go`, `NewStores`). */
export const PIRI_BUCKETS = [
  'pdp',
  'allocations',
  'acceptances',
  'claims',
  'receipts',
  'consolidation',
] as const

/** One Piri node's data: a blob and a record of each kind, with the bytes Piri stores. */
export type PiriFixture = Awaited<ReturnType<typeof piriFixture>>

/** The sha2-256 multihash of `bytes`, `z…`, base32 (flatfs) and its flatfs / S3 key `NN/<base32>.data`. */
export function digestOf(bytes: Uint8Array) {
  const multihash = createDigest(0x12, createHash('sha256').update(bytes).digest())
  const b32 = base32.encode(multihash.bytes).slice(1) // lowercase, unpadded, no multibase prefix
  return {
    multihash,
    z: base58btc.encode(multihash.bytes),
    b32,
    flatfsKey: `${b32.slice(-3, -1)}/${b32}.data`,
  }
}

/** The fixture (`size` bytes of blob, default 100 KiB; deterministic apart from signatures' nonces). */
export async function piriFixture(size = 100 * 1024) {
  const [space, node, client] = await Promise.all(
    [1, 2, 3].map((fill) => ed25519.derive(new Uint8Array(32).fill(fill))),
  )
  if (!space || !node || !client) throw new Error('unreachable')
  const bytes = xorshiftBytes(18, size)
  const blob = { bytes, ...digestOf(bytes) }
  const cause = CID.parse('bafyreih3tmucqbqt5tt6c5jallyuhnv6c5hcmwpl72hh6aen45gu2ugapm')
  const blobField = { digest: blob.multihash.bytes, size }
  const allocation = CBOR.encode({
    space: Uint8Array.from(DID.parse(space.did())),
    blob: blobField,
    expires: 4_102_444_800,
    cause,
  })
  const acceptance = CBOR.encode({
    space: Uint8Array.from(DID.parse(space.did())),
    blob: blobField,
    executedAt: 1_700_000_000,
    cause,
  })
  const capabilities = [{ can: 'blob/allocate', with: space.did() }] as [
    { can: 'blob/allocate'; with: `did:key:${string}` },
  ]
  const delegation = await delegate({
    issuer: space,
    audience: node,
    capabilities,
    nonce: randomBytes(4).toString('hex'),
  })
  const claimArchive = (await Delegation.archive(delegation)).ok as Uint8Array
  const ran = await invoke({
    issuer: client,
    audience: node,
    capability: { can: 'blob/accept', with: space.did(), nb: {} },
  }).delegate()
  const receipt = await Receipt.issue({ issuer: node, ran, result: { ok: {} } })
  const blocks = new Map<
    string,
    ReturnType<typeof receipt.iterateIPLDBlocks> extends Iterable<infer B> ? B : never
  >()
  for (const block of receipt.iterateIPLDBlocks()) blocks.set(block.cid.toString(), block)
  const receiptCar = CAR.encode({ roots: [receipt.root], blocks })
  const track = await invoke({
    issuer: node,
    audience: client,
    capability: { can: 'space/egress/track', with: node.did(), nb: {} },
  }).delegate()
  const trackArchive = (await Delegation.archive(track)).ok as Uint8Array
  const consolidateCid = CID.parse('bafyreigcx4cyd2ie7uyqvvypnmfp547rquuzwlnv7ddjipab5exrzr7raq')
  const batchBytes = receiptCar // a journal batch is a CAR file; its CID: codec car, sha2-256 of the file
  const batchCid = CID.createV1(0x0202, createDigest(0x12, createHash('sha256').update(batchBytes).digest()))
  return {
    space: space.did(),
    blob,
    allocation: { key: `${blob.z}/${space.did()}`, bytes: allocation },
    acceptance: { bytes: acceptance },
    claim: { cid: delegation.cid.toString(), archive: claimArchive },
    receipt: { cid: receipt.link().toString(), ran: ran.cid.toString(), ranCid: ran.cid, car: receiptCar },
    consolidation: {
      /** Piri's current record, `{batch}` (`.cbor` on S3). */
      current: {
        batch: (await randomCid()).toString(),
        bytes: CBOR.encode({ trackInvocation: trackArchive, consolidateInvocationCID: consolidateCid }),
      },
      /** Piri's legacy pair on LevelDB: `track/{batch}` + `consolidate/{batch}`. */
      legacy: {
        batch: (await randomCid()).toString(),
        track: trackArchive,
        consolidate: consolidateCid.bytes,
      },
      trackCid: track.cid.toString(),
      consolidateCid: consolidateCid.toString(),
    },
    journalBatch: { cid: batchCid.toString(), bytes: batchBytes },
    /** An entry of Piri's own keystore (`/keystore/<name>`, its PDP wallet): strata must leave it. */
    walletEntry: { key: '/keystore/0x00000000000000000000000000000000000000aa', value: randomBytes(32) },
  }
}

async function randomCid(): Promise<CID> {
  return CID.createV1(0x71, createDigest(0x12, createHash('sha256').update(randomBytes(16)).digest()))
}

/** Writes raw `key → value` pairs into a LevelDB directory, as go-ds-leveldb stores datastore keys. */
async function level(path: string, entries: Record<string, Uint8Array>): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o755 })
  const db = new LevelDatastore(path)
  await db.open()
  try {
    for (const [key, value] of Object.entries(entries)) await db.db.put(key, value)
  } finally {
    await db.close()
  }
}

/** Piri's flatfs directory (`SHARDING`, `_README`, `.temp/`) with the blob in it. */
async function flatfs(path: string, fixture: PiriFixture): Promise<void> {
  await mkdir(join(path, '.temp'), { recursive: true, mode: 0o755 })
  await writeFile(join(path, 'SHARDING'), '/repo/flatfs/shard/v1/next-to-last/2\n')
  await writeFile(join(path, '_README'), 'This is a repository of object data.\n', { mode: 0o444 })
  const file = join(path, fixture.blob.flatfsKey)
  await mkdir(join(file, '..'), { recursive: true, mode: 0o755 })
  await writeFile(file, fixture.blob.bytes)
}

/**
 * A Piri data directory (`pkg/config/repo.go`): the wallet, the egress journal and the stores
 * Piri keeps locally in S3 mode too; with `stores`, the blob and record stores as well.
 */
export async function writePiriDataDir(
  dataDir: string,
  fixture: PiriFixture,
  stores: boolean,
): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o755 })
  await level(join(dataDir, 'wallet'), { [fixture.walletEntry.key]: fixture.walletEntry.value })
  const journal = join(dataDir, 'egress_tracker', 'journal')
  await mkdir(journal, { recursive: true, mode: 0o755 })
  await writeFile(join(journal, `egress.${fixture.journalBatch.cid}.car`), fixture.journalBatch.bytes)
  for (const dir of ['aggregator/datastore', 'publisher']) {
    await mkdir(join(dataDir, dir), { recursive: true, mode: 0o755 })
    await writeFile(join(dataDir, dir, 'PIRI-ONLY'), dir)
  }
  if (!stores) return
  await flatfs(join(dataDir, 'pdp', 'datastore'), fixture)
  const { consolidation: c } = fixture
  await level(join(dataDir, 'allocation'), { [`/${fixture.allocation.key}`]: fixture.allocation.bytes })
  await level(join(dataDir, 'acceptance'), { [`/${fixture.allocation.key}`]: fixture.acceptance.bytes })
  await level(join(dataDir, 'claim'), { [`/${fixture.claim.cid}`]: fixture.claim.archive })
  await level(join(dataDir, 'receipt'), {
    [`/receipts/${fixture.receipt.cid}`]: fixture.receipt.car,
    [`/ranLinkIndex/${fixture.receipt.ran}`]: CID.parse(fixture.receipt.cid).bytes,
  })
  await level(join(dataDir, 'consolidation'), {
    [`/${c.current.batch}`]: c.current.bytes,
    [`/track/${c.legacy.batch}`]: c.legacy.track,
    [`/consolidate/${c.legacy.batch}`]: c.legacy.consolidate,
  })
}

/** Piri's S3 bucket set `{prefix}pdp` … `{prefix}consolidation`, with Piri's keys. */
export async function writePiriBuckets(client: Client, prefix: string, fixture: PiriFixture): Promise<void> {
  const put = (bucket: string, key: string, value: Uint8Array) =>
    client.putObject(`${prefix}${bucket}`, key, Buffer.from(value), value.byteLength)
  for (const bucket of PIRI_BUCKETS) await client.makeBucket(`${prefix}${bucket}`)
  await put('pdp', fixture.blob.flatfsKey, fixture.blob.bytes)
  await put('allocations', `${fixture.allocation.key}.cbor`, fixture.allocation.bytes)
  await put('acceptances', `${fixture.allocation.key}.cbor`, fixture.acceptance.bytes)
  await put('claims', fixture.claim.cid, fixture.claim.archive)
  await put('receipts', fixture.receipt.cid, fixture.receipt.car)
  await put(
    'receipts',
    `receipts-ran/${fixture.receipt.ran}.ref`,
    new TextEncoder().encode(fixture.receipt.cid),
  )
  await put(
    'consolidation',
    `${fixture.consolidation.current.batch}.cbor`,
    fixture.consolidation.current.bytes,
  )
}

/** The raw value of `key` in a closed LevelDB directory (undefined when absent). */
export async function levelGet(path: string, key: string): Promise<Uint8Array | undefined> {
  const db = new LevelDatastore(path)
  await db.open()
  try {
    return await db.db.get(key)
  } finally {
    await db.close()
  }
}
