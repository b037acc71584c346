/**
 * Fault: an injected ENOSPC in the flatfs blob store and in the retrieval journal, the disk filling
 * up part-way through a write (some bytes land, then the kernel refuses the rest). No mount needed:
 * `node:fs` / `node:fs/promises` are passed through unchanged except for the writes the test arms
 * a fault for (the packages are compiled from source here, so they see the same modules).
 *
 * Each must answer `InsufficientStorageError`, leave nothing half-written (no temp file, no object,
 * a journal cut back to its last whole entry) and work again once space is back.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RetrievalJournal } from '@strata/local/journal'
import { InsufficientStorageError } from '@strata/objectstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { retrievalReceipt } from '../helpers/e2e-helpers.js'

/** Bytes the armed writes may still write before ENOSPC; Infinity = no fault. */
const faults = vi.hoisted(() => ({ budget: Number.POSITIVE_INFINITY, hits: 0 }))

/** Takes up to `wanted` bytes from the budget; answers how many may be written (0: ENOSPC). */
const take = vi.hoisted(() => (wanted: number): number => {
  const n = Math.min(wanted, faults.budget)
  faults.budget -= n
  return n
})

const enospc = vi.hoisted(() => (): NodeJS.ErrnoException => {
  faults.hits++
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  })
})

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  // flatfs streams into `.temp/put-*` through createWriteStream: its writes draw on the budget.
  const createWriteStream: typeof fs.createWriteStream = (path, options) => {
    const stream = fs.createWriteStream(path, options)
    const write = stream._write.bind(stream)
    // Without _writev every buffered chunk goes through _write.
    Object.assign(stream, { _writev: undefined })
    stream._write = (chunk: Buffer, encoding, callback) => {
      const n = take(chunk.length)
      if (n === chunk.length) return write(chunk, encoding, callback)
      if (n === 0) return callback(enospc())
      write(chunk.subarray(0, n), encoding, () => callback(enospc()))
    }
    return stream
  }
  return { ...fs, createWriteStream }
})

vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>()
  // The journal appends through FileHandle.write of its `.wip`: those writes draw on the budget.
  const open: typeof fsp.open = async (path, ...rest) => {
    const handle = await fsp.open(path, ...rest)
    if (!String(path).endsWith('.wip')) return handle
    const write = handle.write.bind(handle) as (...args: unknown[]) => Promise<{ bytesWritten: number }>
    const armed = async (
      buffer: Uint8Array,
      offset = 0,
      length = buffer.byteLength - offset,
      position?: number,
    ) => {
      const n = take(length)
      if (n === 0) throw enospc()
      return write(buffer, offset, n, position) // a short write: the caller asks again for the rest
    }
    Object.assign(handle, { write: armed })
    return handle
  }
  return { ...fsp, open }
})

const MiB = 1024 * 1024

describe('fault: injected ENOSPC', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-fault-enospc-'))
    faults.budget = Number.POSITIVE_INFINITY
    faults.hits = 0
  })

  afterEach(async () => {
    faults.budget = Number.POSITIVE_INFINITY
    await rm(dir, { recursive: true, force: true })
  })

  it('flatfs: a put the disk cannot hold throws InsufficientStorageError and leaves no file', async () => {
    const store = new FlatfsObjectStore({ path: dir, writeBufferSize: 64 * 1024 })
    await store.open()
    const kept = new Uint8Array(100_000).fill(7)
    await store.put('kept', kept.length, kept)

    faults.budget = 1.5 * MiB // the disk fills up half-way through a 3 MiB object
    const big = new Uint8Array(3 * MiB).fill(9)
    const error = await store.put('big', big.length, big).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InsufficientStorageError)
    expect((error as Error).cause).toMatchObject({ code: 'ENOSPC' })
    expect(faults.hits).toBeGreaterThan(0)
    expect(await store.has('big')).toBe(false)
    expect(await readdir(join(dir, '.temp'))).toEqual([])
    expect(await store.has('kept')).toBe(true)

    faults.budget = Number.POSITIVE_INFINITY // space is back
    await store.put('big', big.length, big)
    const { size, body } = await store.get('big')
    let read = 0
    for await (const chunk of body) read += chunk.byteLength
    expect([size, read]).toEqual([big.length, big.length])
    expect(await readdir(join(dir, '.temp'))).toEqual([])
    await store.close()
  })

  it('journal: an append the disk cannot hold throws InsufficientStorageError and appends nothing', async () => {
    const journal = new RetrievalJournal({ path: dir, rotateInterval: 0 })
    await journal.open()
    await journal.append(await retrievalReceipt(1))
    const before = journal.status
    const wip = join(dir, 'egress.car.wip')
    expect((await stat(wip)).size).toBe(before.size)

    faults.budget = 10 // a few bytes of the next section land, then ENOSPC
    const error = await journal.append(await retrievalReceipt(2)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InsufficientStorageError)
    expect(journal.status).toEqual(before)
    expect((await stat(wip)).size).toBe(before.size) // the partial section was cut off

    faults.budget = Number.POSITIVE_INFINITY
    await journal.append(await retrievalReceipt(3))
    expect(journal.status.entries).toBe(before.entries + 1)
    await journal.close()

    // Reopened, the file scans clean: two whole entries, nothing torn to cut off.
    const reopened = new RetrievalJournal({ path: dir, rotateInterval: 0 })
    await reopened.open()
    expect(reopened.status).toMatchObject({ entries: 2, truncated: 0 })
    await reopened.close()
  })
})
