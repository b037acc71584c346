/**
 * Abuse battery, uploads (issue 14, D3): one presigned URL used to admit any number of concurrent
 * uploads, each with its own temp file up to the signed size (1.6 GiB staged, 213 GB declared
 * against 77 GB free); `Expect: 100-continue` was answered before the signature was checked.
 *
 * Now (`src/upload-admission.ts`): one writer per digest (the others wait for it, then answer
 * "already stored", or 409 `UploadInProgressError` with `Retry-After` if it is still writing after
 * half of `server.idleTimeoutMs`); the declared bytes in flight are capped by
 * `server.maxInflightUploadBytes` (503) and by the free disk minus `server.diskReserveBytes` (507,
 * also at `POST /allocations`); `100 Continue` only once the upload is authorised and admitted.
 */
import { mkdtemp, readdir, rm, statfs } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHILD_TOKEN, type Child, startChild } from '@strata/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { filesIn, type RawAnswer, RawConnection } from '../helpers/abuse.js'
import { type Allocation, allocate, hashedGet, memoryBlob, send } from '../helpers/e2e-helpers.js'
import { type SmallDisk, smallDisk } from '../helpers/fault-disk.js'

const MiB = 1024 * 1024
const dirs: string[] = []
const children: Child[] = []
const disks: SmallDisk[] = []
afterEach(async () => {
  for (const child of children.splice(0)) await child.stop()
  for (const disk of disks.splice(0)) await disk.release()
})
afterAll(async () => {
  await shared?.stop()
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

/**
 * The server most tests share: idle timeout 4 s, so a PUT waiting for another upload of its digest
 * is answered after 2 s and a stalled writer is cut after 4 s.
 */
let shared: Awaited<ReturnType<typeof serve>> | undefined
async function defaultServer() {
  if (shared === undefined) {
    shared = await serve({ STRATA_SERVER_IDLE_TIMEOUT_MS: '4000' })
    children.splice(children.indexOf(shared), 1) // stopped after all tests
  }
  return shared
}

async function serve(
  env: Record<string, string> = {},
  dataDir?: string,
  wrap?: (argv: string[]) => string[],
): Promise<Child & { dataDir: string; did: string }> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'strata-abuse-up-')))
  if (dataDir === undefined) dirs.push(dir)
  const child = await startChild({ backend: 'filesystem', dataDir: dir, env, ...(wrap ? { wrap } : {}) })
  children.push(child)
  const { did } = JSON.parse((await send(`${child.url}/healthz`, 'GET')).body.toString()) as { did: string }
  return Object.assign(child, { dataDir: dir, did })
}

/** The head of the presigned PUT of `allocation`, with `extra` headers (e.g. `Expect`). */
function putHead(allocation: Allocation, extra: Record<string, string> = {}): string {
  const url = new URL(allocation.url as string)
  const headers = { ...allocation.headers, ...extra }
  return (
    `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
    Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    '\r\n'
  )
}

const ZEROS = Buffer.alloc(MiB)

/**
 * Writes up to `bytes` zero bytes to `connection`, 1 MiB at a time, as fast as the server takes
 * them; stops early (answers what it wrote) when the server has not taken a chunk for `stallMs`.
 */
async function pour(connection: RawConnection, bytes: number, stallMs = 300): Promise<number> {
  let sent = 0
  while (sent < bytes && !connection.closed) {
    const chunk = ZEROS.subarray(0, Math.min(MiB, bytes - sent))
    sent += chunk.length
    if (!connection.socket.write(chunk)) {
      const drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), stallMs)
        connection.socket.once('drain', () => {
          clearTimeout(timer)
          resolve(true)
        })
      })
      if (!drained) break
    }
  }
  return sent
}

/** Samples `dir` every 25 ms while `during` runs: the most files and bytes seen at once. */
async function sampleStaging<T>(
  dir: string,
  during: Promise<T>,
): Promise<{ files: number; bytes: number; result: T }> {
  let files = 0
  let bytes = 0
  let done = false
  const result = during.finally(() => {
    done = true
  })
  while (!done) {
    const now = await filesIn(dir)
    files = Math.max(files, now.count)
    bytes = Math.max(bytes, now.bytes)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { files, bytes, result: await result }
}

const errorName = (answer: RawAnswer) =>
  (JSON.parse(answer.body.toString()) as { error: { name: string } }).error.name

describe('D3: one presigned URL, one upload', () => {
  it('50 concurrent PUTs on one URL (4,261,412,864 bytes declared, 32 MiB sent each) stage the declared size once at most', async () => {
    // idle 4 s: the 49 waiting PUTs are answered after 2 s, the stalled writer is cut after 4 s
    const child = await defaultServer()
    const declared = 4_261_412_864
    const blob = memoryBlob(1024) // its digest only: the upload never completes
    const { allocation } = await allocate(child.url, CHILD_TOKEN, child.did, blob.z, declared)
    const temp = join(child.dataDir, 'blobs', '.temp')
    const connections = await Promise.all(
      Array.from({ length: 50 }, () => RawConnection.open(child.port, '127.0.0.2')),
    )
    const attack = Promise.all(
      connections.map(async (connection) => {
        connection.write(putHead(allocation))
        return pour(connection, 32 * MiB)
      }),
    )
    const staged = await sampleStaging(
      temp,
      attack.then(async (sent) => {
        // keep sampling while the writer holds its turn and the others wait
        await new Promise((resolve) => setTimeout(resolve, 1000))
        return sent
      }),
    )
    const sent = staged.result.reduce((sum, n) => sum + n, 0)
    // the waiting PUTs are told the blob is being uploaded by another, with Retry-After
    const answers = await Promise.all(
      connections.map((connection) => connection.answer({ timeoutMs: 8000 }).catch(() => undefined)),
    )
    const busy = answers.filter((answer) => answer?.status === 409)
    console.log(
      `D3: 50 PUTs × ${declared} bytes declared on one URL, ${(sent / MiB).toFixed(0)} MiB sent in all; ` +
        `at most ${staged.files} temp file(s) and ${(staged.bytes / MiB).toFixed(1)} MiB staged at once; ` +
        `${busy.length} answered 409 UploadInProgressError, the writer cut when it went silent`,
    )
    expect(staged.files).toBeLessThanOrEqual(1)
    expect(staged.bytes).toBeLessThanOrEqual(32 * MiB)
    expect(busy.length).toBe(49)
    for (const answer of busy) {
      expect(errorName(answer as RawAnswer)).toBe('UploadInProgressError')
      expect(answer?.headers['retry-after']).toBe('5')
    }
    for (const connection of connections) connection.destroy()
    // nothing half-written: no temp file, no blob
    for (let i = 0; i < 100 && (await filesIn(temp)).count > 0; i++)
      await new Promise((r) => setTimeout(r, 50))
    expect((await filesIn(temp)).count).toBe(0)
    expect((await send(`${child.url}/blob/${blob.z}`, 'HEAD')).status).toBe(404)
  })

  it('concurrent PUTs of one blob wait for the writer and are told it is stored; one temp file at a time', async () => {
    const child = await defaultServer()
    const blob = memoryBlob(8 * MiB)
    const { allocation } = await allocate(child.url, CHILD_TOKEN, child.did, blob.z, blob.bytes.length)
    const temp = join(child.dataDir, 'blobs', '.temp')
    const staged = await sampleStaging(
      temp,
      Promise.all(
        Array.from({ length: 10 }, () =>
          send(allocation.url as string, 'PUT', allocation.headers, blob.bytes),
        ),
      ),
    )
    const statuses = staged.result.map((answer) => answer.status).sort()
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201])
    expect(staged.files).toBeLessThanOrEqual(1)
    const got = await hashedGet(`${child.url}/blob/${blob.z}`)
    expect(got.sha256).toBe(blob.sha256)
  })

  it('past server.maxInflightUploadBytes: 503 with Retry-After, body unread; it goes through once the budget is back', async () => {
    const child = await serve({
      STRATA_SERVER_MAX_BLOB_SIZE: String(16 * MiB),
      STRATA_SERVER_MAX_INFLIGHT_UPLOAD_BYTES: String(24 * MiB),
    })
    const a = memoryBlob(16 * MiB)
    const b = memoryBlob(16 * MiB)
    const upA = (await allocate(child.url, CHILD_TOKEN, child.did, a.z, a.bytes.length)).allocation
    const upB = (await allocate(child.url, CHILD_TOKEN, child.did, b.z, b.bytes.length)).allocation
    const writer = await RawConnection.open(child.port, '127.0.0.2')
    writer.write(putHead(upA))
    writer.write(a.bytes.subarray(0, MiB)) // A holds 16 MiB of the 24 MiB budget
    await new Promise((resolve) => setTimeout(resolve, 200))
    const second = await RawConnection.open(child.port, '127.0.0.3')
    second.write(putHead(upB, { Expect: '100-continue' }))
    const refused = await second.answer()
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('5')
    expect(errorName(refused)).toBe('OverloadedError')
    expect(second.interim).toEqual([]) // no 100 Continue: B never sent a byte
    writer.write(a.bytes.subarray(MiB))
    expect((await writer.answer()).status).toBe(201)
    expect((await send(upB.url as string, 'PUT', upB.headers, b.bytes)).status).toBe(201)
    for (const blob of [a, b])
      expect((await hashedGet(`${child.url}/blob/${blob.z}`)).sha256).toBe(blob.sha256)
    writer.destroy()
    second.destroy()
  })

  it('past the free disk minus server.diskReserveBytes: POST /allocations and PUT answer 507; nothing half-written', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-abuse-disk-'))
    dirs.push(dataDir)
    const disk = await smallDisk(dataDir, 96)
    if (disk === undefined) return // said why (no tmpfs here)
    disks.push(disk)
    const reserve = 16 * MiB
    const child = await serve({ STRATA_SERVER_DISK_RESERVE_BYTES: String(reserve) }, dataDir, disk.wrap)
    const free = await statfs(disk.view(dataDir)).then((found) => found.bavail * found.bsize)
    // one such blob fits, two at once do not
    const size = Math.floor(((free - reserve) * 0.6) / MiB) * MiB
    const tooBig = await send(
      `${child.url}/allocations`,
      'POST',
      { authorization: `Bearer ${CHILD_TOKEN}`, 'content-type': 'application/json' },
      JSON.stringify({ space: child.did, blob: { digest: memoryBlob(16).z, size: free } }),
    )
    expect(tooBig.status).toBe(507)
    const a = memoryBlob(size)
    const b = memoryBlob(size)
    const upA = (await allocate(child.url, CHILD_TOKEN, child.did, a.z, size)).allocation
    const upB = (await allocate(child.url, CHILD_TOKEN, child.did, b.z, size)).allocation
    const writer = await RawConnection.open(child.port, '127.0.0.2')
    writer.write(putHead(upA))
    writer.write(a.bytes.subarray(0, MiB))
    await new Promise((resolve) => setTimeout(resolve, 200))
    // A has yet to write most of its size: B cannot be admitted, nor allocated
    const second = await RawConnection.open(child.port, '127.0.0.3')
    second.write(putHead(upB, { Expect: '100-continue' }))
    const full = await second.answer()
    expect(full.status).toBe(507)
    expect(second.interim).toEqual([])
    const c = memoryBlob(16)
    const refusedAllocation = await send(
      `${child.url}/allocations`,
      'POST',
      { authorization: `Bearer ${CHILD_TOKEN}`, 'content-type': 'application/json' },
      JSON.stringify({ space: child.did, blob: { digest: c.z, size } }),
    )
    expect(refusedAllocation.status).toBe(507)
    writer.write(a.bytes.subarray(MiB))
    expect((await writer.answer()).status).toBe(201)
    expect((await hashedGet(`${child.url}/blob/${a.z}`)).sha256).toBe(a.sha256)
    // nothing of B was written
    expect(await readdir(join(disk.view(dataDir), 'blobs', '.temp'))).toEqual([])
    expect((await send(`${child.url}/blob/${b.z}`, 'HEAD')).status).toBe(404)
    console.log(
      `D3 (disk ${(free / MiB).toFixed(0)} MiB free, reserve 16 MiB): allocation of ${free} bytes → ${tooBig.status}; ` +
        `a second ${size / MiB} MiB upload while the first wrote → ${full.status}, its allocation → ${refusedAllocation.status}`,
    )
    writer.destroy()
    second.destroy()
  })
})

describe('Expect: 100-continue', () => {
  it('answers 100 only after the signature and the admission checks passed', async () => {
    const child = await defaultServer()
    const blob = memoryBlob(256 * 1024)
    const { allocation } = await allocate(child.url, CHILD_TOKEN, child.did, blob.z, blob.bytes.length)
    // a tampered signature: 401, and no 100 before it
    const forged = {
      ...allocation,
      url: (allocation.url as string).replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=0'),
    }
    const bad = await RawConnection.open(child.port, '127.0.0.2')
    bad.write(putHead(forged, { Expect: '100-continue' }))
    const unauthorized = await bad.answer()
    expect(unauthorized.status).toBe(401)
    expect(bad.interim).toEqual([])
    expect(await bad.waitClosed(2000)).toBe(true) // the body it held back is not awaited
    // no allocation for the digest: 403, no 100
    const other = memoryBlob(1024)
    const { allocation: foreign } = await allocate(
      child.url,
      CHILD_TOKEN,
      child.did,
      other.z,
      other.bytes.length,
    )
    const unallocated = { ...foreign, url: (foreign.url as string).replace(other.z, blob.z) }
    const none = await RawConnection.open(child.port, '127.0.0.2')
    none.write(putHead(unallocated, { Expect: '100-continue' }))
    expect([401, 403]).toContain((await none.answer()).status) // the path is signed: 401 first
    expect(none.interim).toEqual([])
    // a valid upload: 100, then the body, then 201
    const good = await RawConnection.open(child.port, '127.0.0.2')
    good.write(putHead(allocation, { Expect: '100-continue' }))
    for (let i = 0; i < 100 && good.interim.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
    expect(good.interim).toEqual(['HTTP/1.1 100 Continue'])
    good.write(blob.bytes)
    expect((await good.answer()).status).toBe(201)
    // already stored: 200 at once, without 100, and the connection closes
    const again = await RawConnection.open(child.port, '127.0.0.2')
    again.write(putHead(allocation, { Expect: '100-continue' }))
    const stored = await again.answer()
    expect(stored.status).toBe(200)
    expect(again.interim).toEqual([])
    for (const connection of [bad, none, good, again]) connection.destroy()
    expect((await hashedGet(`${child.url}/blob/${blob.z}`)).sha256).toBe(blob.sha256)
  })
})
