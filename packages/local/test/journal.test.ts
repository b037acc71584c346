import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  CAR_HEADER,
  type CarBlock,
  carCid,
  encodeEntry,
  NotFoundError,
  RetrievalJournal,
  type RetrievalJournalOptions,
  type RotateCause,
  WIP_FILE,
} from '../src/journal/index.js'
import {
  collect,
  expectedCarCid,
  fileBytes,
  readBatch,
  receipts,
  retrievalReceipt,
  toArray,
  until,
} from './fixtures.js'

let dir = ''
const journals: RetrievalJournal[] = []

function journal(options: Partial<RetrievalJournalOptions> = {}): RetrievalJournal {
  const created = new RetrievalJournal({ path: dir, rotateInterval: 0, ...options })
  journals.push(created)
  return created
}

async function list(j: RetrievalJournal): Promise<string[]> {
  return (await toArray(j.list())).map(String).sort()
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-journal-'))
})

afterEach(async () => {
  await Promise.all(journals.splice(0).map((j) => j.close()))
  await rm(dir, { recursive: true, force: true })
})

describe('RetrievalJournal', () => {
  it('starts an empty .wip with the CARv1 header { version: 1, roots: [] }', async () => {
    const j = journal()
    await j.open()
    expect(await fileBytes(join(dir, WIP_FILE))).toEqual(CAR_HEADER)
    expect(j.status).toEqual({ size: CAR_HEADER.byteLength, entries: 0, truncated: 0 })
    expect(await list(j)).toEqual([])
  })

  it('appends receipts as CAR sections and rotates into a batch named by the sha2-256 of the file', async () => {
    const j = journal()
    await j.open()
    const rs = await receipts(3)
    const appended = []
    for (const r of rs) appended.push(await j.append(r))
    for (const [i, r] of rs.entries()) {
      expect(appended[i]?.entry.toString()).toBe((await encodeEntry(r)).cid.toString())
      expect(appended[i]?.batch).toBeUndefined()
    }
    const wip = await fileBytes(join(dir, WIP_FILE))
    expect(j.status).toMatchObject({ size: wip.byteLength, entries: 3 })

    const cid = await j.forceRotate()
    expect(cid?.toString()).toBe(expectedCarCid(wip))
    expect(cid?.code).toBe(0x0202)
    const batchFile = join(dir, `egress.${cid}.car`)
    expect(await fileBytes(batchFile)).toEqual(wip)
    expect(await list(j)).toEqual([String(cid)])
    expect(await fileBytes(join(dir, WIP_FILE))).toEqual(CAR_HEADER)

    const { size, body } = await j.getBatch(cid as CID)
    expect(size).toBe(wip.byteLength)
    expect(await readBatch(body)).toEqual(rs.map((r) => r.link().toString()))
  })

  it('rotates when the batch reaches maxBatchSize', async () => {
    const rs = await receipts(7)
    const sectionSize = (await encodeEntry(rs[0] as never)).bytes.byteLength + 3
    const rotations: RotateCause[] = []
    const j = journal({
      maxBatchSize: CAR_HEADER.byteLength + 2 * sectionSize,
      onRotate: (_, cause) => rotations.push(cause),
    })
    await j.open()
    const batches: string[] = []
    for (const r of rs) {
      const { batch } = await j.append(r)
      if (batch) batches.push(batch.toString())
    }
    // Every third append crosses the limit (each batch ends up a little over two sections).
    expect(batches).toHaveLength(3)
    expect(rotations).toEqual(['size', 'size', 'size'])
    expect(j.status.entries).toBe(1)
    expect(await list(j)).toEqual([...batches].sort())
    const order: string[] = []
    for (const batch of batches) {
      const bytes = await fileBytes(join(dir, `egress.${batch}.car`))
      expect(expectedCarCid(bytes)).toBe(batch)
      order.push(...(await readBatch((await j.getBatch(CID.parse(batch))).body)))
    }
    expect(order).toEqual(rs.slice(0, 6).map((r) => r.link().toString()))
  })

  it('rotates on the timer, and not when empty or closed', async () => {
    const rotated: Array<[string, RotateCause]> = []
    const j = journal({ rotateInterval: 40, onRotate: (cid, cause) => rotated.push([cid.toString(), cause]) })
    await j.open()
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(rotated).toEqual([]) // ticks with nothing appended rotate nothing
    const [r] = await receipts(1, 100)
    await j.append(r as never)
    await until(() => rotated.length === 1)
    expect(rotated[0]?.[1]).toBe('timer')
    expect(await list(j)).toEqual([rotated[0]?.[0]])
    expect(j.status.entries).toBe(0)

    await j.close()
    await expect(j.append(r as never)).rejects.toThrow(/not open/)
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(rotated).toHaveLength(1)
  })

  it('forceRotate is a no-op when the journal is empty', async () => {
    const j = journal()
    await j.open()
    expect(await j.forceRotate()).toBeUndefined()
    expect((await readdir(dir)).sort()).toEqual([WIP_FILE])
    await j.append(await retrievalReceipt(1))
    expect(await j.forceRotate()).toBeDefined()
    expect(await j.forceRotate()).toBeUndefined()
    expect(await list(j)).toHaveLength(1)
  })

  it('getBatch of a missing batch throws NotFoundError; remove deletes and is idempotent', async () => {
    const j = journal()
    await j.open()
    const missing = carCid(new Uint8Array(32))
    await expect(j.getBatch(missing)).rejects.toBeInstanceOf(NotFoundError)
    await expect(j.getBatch(missing)).rejects.toMatchObject({
      name: 'NotFoundError',
      key: missing.toString(),
    })
    // A CID that cannot name a batch (raw codec) is simply not found.
    const raw = CID.createV1(0x55, createDigest(sha256.code, new Uint8Array(32)))
    await expect(j.getBatch(raw)).rejects.toBeInstanceOf(NotFoundError)

    await j.append(await retrievalReceipt(2))
    const cid = (await j.forceRotate()) as CID
    await j.remove(cid)
    expect(await list(j)).toEqual([])
    await expect(j.getBatch(cid)).rejects.toBeInstanceOf(NotFoundError)
    await j.remove(cid)
    await j.remove(raw)
  })

  it('serialises concurrent appends: no bytes interleave, every receipt is kept once', async () => {
    const rs = await receipts(60, 1000)
    const sectionSize = (await encodeEntry(rs[0] as never)).bytes.byteLength
    const j = journal({ maxBatchSize: 10 * sectionSize })
    await j.open()
    const results = await Promise.all(rs.map((r) => j.append(r)))
    await Promise.all([j.forceRotate(), j.forceRotate()])
    const batches = results.flatMap((result) => (result.batch ? [result.batch] : []))
    expect(batches.length).toBeGreaterThanOrEqual(5)
    const all: string[] = []
    for (const cid of await toArray(j.list())) {
      const bytes = await fileBytes(join(dir, `egress.${cid}.car`))
      expect(expectedCarCid(bytes)).toBe(cid.toString())
      all.push(...(await readBatch((await j.getBatch(cid)).body)))
    }
    expect(all.sort()).toEqual(rs.map((r) => r.link().toString()).sort())
  })

  it('streams a batch in chunks from disk', async () => {
    const j = journal()
    await j.open()
    for (const r of await receipts(200, 5000)) await j.append(r)
    const cid = (await j.forceRotate()) as CID
    const { size, body } = await j.getBatch(cid)
    let chunks = 0
    let total = 0
    for await (const chunk of body) {
      chunks++
      total += chunk.byteLength
    }
    expect(total).toBe(size)
    expect(size).toBeGreaterThan(64 * 1024)
    expect(chunks).toBeGreaterThan(1)
    expect(await collect((await j.getBatch(cid)).body)).toEqual(
      await fileBytes(join(dir, `egress.${cid}.car`)),
    )
  })

  it('validates its options and requires open()', async () => {
    expect(() => new RetrievalJournal({ path: dir, maxBatchSize: 0 })).toThrow(RangeError)
    expect(() => new RetrievalJournal({ path: dir, rotateInterval: 2 ** 31 })).toThrow(RangeError)
    expect(() => new RetrievalJournal({ path: dir, rotateInterval: -1 })).toThrow(RangeError)
    const j = journal()
    await expect(j.forceRotate()).rejects.toThrow(/not open/)
    await expect(toArray(j.list())).rejects.toThrow(/not open/)
  })

  it('answers entry CIDs that name the receipt archive bytes', async () => {
    const r = await retrievalReceipt(7)
    const entry: CarBlock = await encodeEntry(r)
    expect(entry.cid.toString()).toBe(expectedCarCid(entry.bytes))
  })
})

describe('RetrievalJournal lifecycle', () => {
  it('close() lets queued appends finish, then refuses new ones; reopening continues the batch', async () => {
    const rs = await receipts(5, 7000)
    const j = journal()
    await j.open()
    const appends = rs.map((r) => j.append(r))
    await appends[0]
    const closed = j.close()
    await expect(j.append(rs[0] as never)).rejects.toThrow(/not open/)
    const settled = await Promise.allSettled(appends)
    await closed
    // Appends whose encoding finished before close() are kept; the others were refused whole.
    const kept = settled.filter((result) => result.status === 'fulfilled').length
    for (const result of settled) {
      if (result.status === 'rejected') expect(String(result.reason)).toMatch(/not open/)
    }
    expect(kept).toBeGreaterThanOrEqual(1)
    await j.open()
    expect(j.status.entries).toBe(kept)
    const cid = (await j.forceRotate()) as CID
    expect(expectedCarCid(await fileBytes(join(dir, `egress.${cid}.car`)))).toBe(String(cid))
    expect(await readBatch((await j.getBatch(cid)).body)).toHaveLength(kept)
  })

  it('works with fsync on, and reports an onRotate that throws to onError', async () => {
    const errors: unknown[] = []
    const j = journal({
      fsync: true,
      maxBatchSize: 1,
      onRotate: () => {
        throw new Error('listener failed')
      },
      onError: (error) => errors.push(error),
    })
    await j.open()
    const { batch } = await j.append(await retrievalReceipt(42))
    expect(batch).toBeDefined()
    expect(errors).toEqual([new Error('listener failed')])
    expect(expectedCarCid(await fileBytes(join(dir, `egress.${batch}.car`)))).toBe(String(batch))
    await j.remove(batch as CID)
    expect(await list(j)).toEqual([])
    expect(j.status.entries).toBe(0)
  })
})
