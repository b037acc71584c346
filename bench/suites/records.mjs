// Records: `GenericStore` (dag-cbor codec) over `DatastoreObjectStore(LevelDatastore)`, as the
// server's filesystem backend stores allocations, against `LevelDatastore` put/get used directly
// with the same keys and the same (pre-encoded) bytes. N puts then N gets, one at a time and 16 at
// a time; each round opens fresh databases, sides interleaved round by round. Figures in ops/s.
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { dagCborCodec, GenericStore } from '@strata/genericstore'
import { DatastoreObjectStore, toDatastoreKey } from '@strata/objectstore/datastore'
import { LevelDatastore } from 'datastore-level'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { median } from '../lib/measure.mjs'
import { tempDir } from '../lib/strata-server.mjs'

export const name = 'records'
export const description =
  'GenericStore (dag-cbor) on DatastoreObjectStore(LevelDatastore) vs LevelDatastore directly'

const NAMESPACE = 'allocation'
const sha256 = (text) => createHash('sha256').update(text).digest()
// interface-datastore's Key, reached through the store's own key mapping (not a direct dependency)
const Key = toDatastoreKey('x').constructor

/**
 * `count` allocation-like records, Piri's IPLD shape (`{ space: DID bytes, blob: { digest, size },
 * expires, cause: CID }`, ~150 bytes in dag-cbor) under `<z digest>/<did>` keys.
 */
function allocations(count) {
  const did = `did:key:z6Mk${base58btc.encode(sha256('space')).slice(1, 45)}`
  const space = Uint8Array.from([0xed, 0x01, ...sha256(did)])
  const records = []
  for (let i = 0; i < count; i++) {
    const digest = createDigest(0x12, sha256(`blob ${i}`))
    const record = {
      space,
      blob: { digest: digest.bytes, size: 1024 + i * 4099 },
      expires: 1_800_000_000 + i,
      cause: CID.createV1(0x71, createDigest(0x12, sha256(`cause ${i}`))),
    }
    records.push({ key: `${base58btc.encode(digest.bytes)}/${did}`, record })
  }
  return records
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; answers ops/s. */
async function opsPerSecond(count, concurrency, task) {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return count / (Number(process.hrtime.bigint() - start) / 1e9)
}

/** Opens a LevelDatastore in a fresh directory; answers it with a `dispose()` closing and removing it. */
async function freshLevel() {
  const dir = await tempDir('records')
  const datastore = new LevelDatastore(dir)
  try {
    await datastore.open()
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  return {
    datastore,
    dispose: async () => {
      await datastore.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** One side of one round: N puts then N gets on a fresh database; answers `{ put, get }` in ops/s. */
async function side(kind, records, encoded, concurrency) {
  const { datastore, dispose } = await freshLevel()
  try {
    const count = records.length
    if (kind === 'generic') {
      const store = new GenericStore({
        backend: new DatastoreObjectStore({ datastore }),
        codec: dagCborCodec(),
        namespace: NAMESPACE,
      })
      const put = await opsPerSecond(count, concurrency, (i) => store.put(records[i].key, records[i].record))
      const get = await opsPerSecond(count, concurrency, async (i) => {
        const value = await store.get(records[i].key)
        if (value.expires !== records[i].record.expires) throw new Error(`wrong record for ${records[i].key}`)
      })
      return { put, get }
    }
    const keyOf = (i) => new Key(`/${NAMESPACE}/${records[i].key}`)
    const put = await opsPerSecond(count, concurrency, (i) => datastore.put(keyOf(i), encoded[i]))
    const get = await opsPerSecond(count, concurrency, async (i) => {
      const bytes = await datastore.get(keyOf(i))
      if (bytes.byteLength !== encoded[i].byteLength) throw new Error(`wrong bytes for ${records[i].key}`)
    })
    return { put, get }
  } finally {
    await dispose()
  }
}

export async function run({ quick, log }) {
  const count = quick ? 5_000 : 20_000
  const rounds = quick ? 3 : 5
  const records = allocations(count)
  const codec = dagCborCodec()
  const encoded = records.map(({ record }) => codec.encode(record))
  const bytes = encoded.reduce((sum, value) => sum + value.byteLength, 0)
  log(`${count} records of ${(bytes / count).toFixed(0)} bytes (dag-cbor), ${rounds} rounds`)

  const row = (label, values, note = '') => ({
    label,
    median: median(values),
    samples: values,
    note,
    unit: 'ops/s',
  })
  const rows = []
  const ratios = {}
  // warm-up, not counted: JIT of both paths, LevelDB's first open
  const few = records.slice(0, 500)
  await side('level', few, encoded, 1)
  await side('generic', few, encoded, 1)

  for (const concurrency of [1, 16]) {
    const mode = concurrency === 1 ? 'sequential' : `concurrency ${concurrency}`
    const level = { put: [], get: [] }
    const generic = { put: [], get: [] }
    log(`${mode}`)
    for (let round = 0; round < rounds; round++) {
      const a = await side('level', records, encoded, concurrency)
      const b = await side('generic', records, encoded, concurrency)
      for (const op of ['put', 'get']) {
        level[op].push(a[op])
        generic[op].push(b[op])
      }
      const f = (value) => `${value.toFixed(0)} ops/s`
      log(
        `  round ${round + 1}: LevelDatastore put ${f(a.put)} get ${f(a.get)}; ` +
          `GenericStore put ${f(b.put)} get ${f(b.get)}`,
      )
    }
    for (const op of ['put', 'get']) {
      const ratio = median(generic[op]) / median(level[op])
      ratios[`${op} ${mode}`] = ratio
      rows.push(
        row(`${op}, ${mode}: LevelDatastore directly (baseline), ops/s`, level[op], 'same keys and bytes'),
      )
      rows.push(
        row(
          `${op}, ${mode}: GenericStore dag-cbor on DatastoreObjectStore, ops/s`,
          generic[op],
          `ratio ${ratio.toFixed(2)}${op === 'put' ? ' (includes encoding)' : ' (includes decoding)'}`,
        ),
      )
    }
  }
  return {
    parameters: { records: count, rounds, recordBytes: bytes / count, concurrency: [1, 16], unit: 'ops/s' },
    ratios,
    rows,
  }
}
