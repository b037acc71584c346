import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Receipt } from '@ucanto/interface'
import type { CID } from 'multiformats/cid'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CAR_HEADER, JournalCorruptError, RetrievalJournal, WIP_FILE } from '../src/journal/index.js'
import { expectedCarCid, fileBytes, readBatch, receipts, retrievalReceipt, toArray } from './fixtures.js'

const dirs: string[] = []
const journals: RetrievalJournal[] = []

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-journal-recovery-'))
  dirs.push(dir)
  return dir
}

async function openJournal(dir: string): Promise<RetrievalJournal> {
  const journal = new RetrievalJournal({ path: dir, rotateInterval: 0 })
  journals.push(journal)
  await journal.open()
  return journal
}

/** A directory whose `.wip` holds exactly `bytes`. */
async function withWip(bytes: Uint8Array): Promise<string> {
  const dir = await freshDir()
  await writeFile(join(dir, WIP_FILE), bytes)
  return dir
}

const links = (rs: Receipt[]) => rs.map((r) => r.link().toString())

afterEach(async () => {
  await Promise.all(journals.splice(0).map((j) => j.close()))
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('RetrievalJournal recovery', () => {
  let rs: Receipt[] = []
  /** A `.wip` of three entries, and the offset where the third (last) section starts. */
  let wip: Uint8Array = new Uint8Array(0)
  let lastStart = 0

  beforeAll(async () => {
    rs = await receipts(3, 300)
    const dir = await mkdtemp(join(tmpdir(), 'strata-journal-source-'))
    const journal = new RetrievalJournal({ path: dir, rotateInterval: 0 })
    await journal.open()
    await journal.append(rs[0] as Receipt)
    await journal.append(rs[1] as Receipt)
    lastStart = journal.status.size
    await journal.append(rs[2] as Receipt)
    await journal.close()
    wip = await fileBytes(join(dir, WIP_FILE))
    await rm(dir, { recursive: true })
    // The cut points below assume this layout of the last section: a 2-byte length varint, then
    // the 36-byte CIDv1 car/sha2-256 of the entry.
    expect(wip[lastStart] ?? 0).toBeGreaterThanOrEqual(0x80)
    expect(wip[lastStart + 1] ?? 0x80).toBeLessThan(0x80)
    expect([...wip.subarray(lastStart + 2, lastStart + 7)]).toEqual([0x01, 0x82, 0x04, 0x12, 0x20])
  })

  it('re-hashes an existing .wip on restart so the batch CID covers the whole file', async () => {
    const dir = await freshDir()
    const first = await openJournal(dir)
    await first.append(rs[0] as Receipt)
    await first.append(rs[1] as Receipt)
    await first.close()

    const second = await openJournal(dir)
    expect(second.status).toEqual({ size: lastStart, entries: 2, truncated: 0 })
    await second.append(rs[2] as Receipt)
    const cid = (await second.forceRotate()) as CID
    expect(cid.toString()).toBe(expectedCarCid(wip))
    expect(await fileBytes(join(dir, `egress.${cid}.car`))).toEqual(wip)
    expect(await readBatch((await second.getBatch(cid)).body)).toEqual(links(rs))
  })

  // Cuts inside the last section: in its length varint (2 bytes here), right after it, inside the
  // CID (36 bytes), right after the CID, inside the receipt archive, one byte short of the end.
  const cuts: Array<[string, (start: number, end: number) => number]> = [
    ['inside the length varint', (start) => start + 1],
    ['right after the length varint', (start) => start + 2],
    ['inside the CID', (start) => start + 2 + 5],
    ['right after the CID', (start) => start + 2 + 36],
    ['inside the receipt bytes', (start, end) => Math.floor((start + 2 + 36 + end) / 2)],
    ['one byte short of the end', (_, end) => end - 1],
  ]

  it.each(cuts)('truncates a torn last section cut %s and keeps earlier entries', async (_, at) => {
    const cut = at(lastStart, wip.byteLength)
    expect(cut).toBeGreaterThan(lastStart)
    expect(cut).toBeLessThan(wip.byteLength)
    const dir = await withWip(wip.subarray(0, cut))

    const journal = await openJournal(dir)
    expect(journal.status).toEqual({ size: lastStart, entries: 2, truncated: cut - lastStart })
    const kept = await fileBytes(join(dir, WIP_FILE))
    expect(kept).toEqual(wip.subarray(0, lastStart))

    // Appending after recovery continues right after the last whole entry.
    const extra = await retrievalReceipt(999)
    await journal.append(extra)
    const whole = await fileBytes(join(dir, WIP_FILE))
    const cid = (await journal.forceRotate()) as CID
    expect(cid.toString()).toBe(expectedCarCid(whole))
    expect(await readBatch((await journal.getBatch(cid)).body)).toEqual([
      ...links(rs.slice(0, 2)),
      extra.link().toString(),
    ])
  })

  it('the batch CID covers exactly the truncated file', async () => {
    const dir = await withWip(wip.subarray(0, wip.byteLength - 10))
    const journal = await openJournal(dir)
    const cid = (await journal.forceRotate()) as CID
    expect(cid.toString()).toBe(expectedCarCid(wip.subarray(0, lastStart)))
    expect(await readBatch((await journal.getBatch(cid)).body)).toEqual(links(rs.slice(0, 2)))
  })

  it('keeps a file cut at a section boundary as it is', async () => {
    for (const [cut, entries] of [
      [lastStart, 2],
      [wip.byteLength, 3],
      [CAR_HEADER.byteLength, 0],
    ] as const) {
      const dir = await withWip(wip.subarray(0, cut))
      const journal = await openJournal(dir)
      expect(journal.status).toEqual({ size: cut, entries, truncated: 0 })
      expect((await stat(join(dir, WIP_FILE))).size).toBe(cut)
      await journal.close()
    }
  })

  it('rewrites a missing, empty or torn header', async () => {
    for (const bytes of [
      new Uint8Array(0),
      CAR_HEADER.subarray(0, 1),
      CAR_HEADER.subarray(0, CAR_HEADER.byteLength - 1),
    ]) {
      const dir = await withWip(bytes)
      const journal = await openJournal(dir)
      expect(journal.status).toEqual({ size: CAR_HEADER.byteLength, entries: 0, truncated: bytes.byteLength })
      expect(await fileBytes(join(dir, WIP_FILE))).toEqual(CAR_HEADER)
      await journal.close()
    }
    // A crash between a rotation's rename and the new .wip: the batch stays, a new .wip starts.
    const dir = await freshDir()
    const journal = await openJournal(dir)
    await journal.append(rs[0] as Receipt)
    const cid = (await journal.forceRotate()) as CID
    await journal.close()
    await rm(join(dir, WIP_FILE))
    const reopened = await openJournal(dir)
    expect((await toArray(reopened.list())).map(String)).toEqual([cid.toString()])
    expect(await fileBytes(join(dir, WIP_FILE))).toEqual(CAR_HEADER)
  })

  it('cuts off a zero-filled tail (a file extended but never written)', async () => {
    const bytes = new Uint8Array(wip.byteLength + 4096)
    bytes.set(wip)
    const journal = await openJournal(await withWip(bytes))
    expect(journal.status).toEqual({ size: wip.byteLength, entries: 3, truncated: 4096 })
  })

  it('refuses a .wip corrupted before its tail, leaving it untouched', async () => {
    const corrupt = wip.slice()
    const inFirstEntry = CAR_HEADER.byteLength + 2 + 36 + 50
    corrupt[inFirstEntry] = (corrupt[inFirstEntry] ?? 0) ^ 0xff
    const dir = await withWip(corrupt)
    const journal = new RetrievalJournal({ path: dir, rotateInterval: 0 })
    const error = await journal.open().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(JournalCorruptError)
    expect(error).toMatchObject({ name: 'JournalCorruptError', offset: CAR_HEADER.byteLength })
    expect((error as Error).message).toMatch(/do not hash to their CID/)
    expect(await fileBytes(join(dir, WIP_FILE))).toEqual(corrupt)

    // A length prefix pointing past the end, over bytes that are not an entry CID, is not a torn tail.
    const garbage = new Uint8Array([...wip.subarray(0, lastStart), 0xff, 0x01, 0x42, 0x42])
    await expect(openJournal(await withWip(garbage))).rejects.toMatchObject({ offset: lastStart })
  })

  it('refuses a file that is not a journal', async () => {
    const dir = await withWip(new TextEncoder().encode('hello world, not a CAR file at all'))
    await expect(openJournal(dir)).rejects.toMatchObject({ name: 'JournalCorruptError', offset: 0 })
  })
})
