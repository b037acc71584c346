import { mkdir, mkdtemp, readdir, rm, statfs, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHILD_TOKEN, type Child, startChild } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RawConnection } from '../helpers/abuse.js'
import { filesUnder } from '../helpers/bad-input-helpers.js'
import { allocate, hashedGet, type MemoryBlob, memoryBlob, send } from '../helpers/e2e-helpers.js'
import { type SmallDisk, smallDisk } from '../helpers/fault-disk.js'

const MiB = 1024 * 1024
const DISK_MIB = 24
const BLOB_SIZE = 4 * MiB

describe('fault: full disk (filesystem backend on a small tmpfs)', () => {
  let base: string | undefined
  let disk: SmallDisk | undefined
  let child: Child | undefined
  let dataDir = ''
  let did = ''
  const stored: MemoryBlob[] = []

  const server = () => child as Child
  const view = (path: string) => (disk as SmallDisk).view(path)
  const bearer = { authorization: `Bearer ${CHILD_TOKEN}` }

  // No reserve: the disk's own limit is what is tested (the server's admission still refuses, with
  // 507, an allocation or upload that statfs says cannot fit; see test/abuse/uploads.test.ts).
  async function start(port?: number): Promise<Child> {
    child = await startChild({
      backend: 'filesystem',
      dataDir,
      ...(disk?.wrap === undefined ? {} : { wrap: disk.wrap }),
      env: {
        STRATA_SERVER_DISK_RESERVE_BYTES: '0',
        ...(port === undefined ? {} : { STRATA_SERVER_PORT: String(port) }),
      },
    })
    return child
  }

  /** Appends to a file beside the data until the disk is full, as another process would; answers its path. */
  async function fill(): Promise<string> {
    const filler = join(view(dataDir), 'filler')
    const chunk = Buffer.alloc(64 * 1024, 1)
    for (let i = 0; ; i++) {
      try {
        await writeFile(filler, chunk, { flag: 'a' })
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC')
        return filler
      }
      if (i > 1000) throw new Error('the disk never filled up')
    }
  }

  /** Allocates and PUTs `blob`: the allocation's status, then the PUT's (0 when not sent). */
  async function upload(blob: MemoryBlob): Promise<{ allocated: number; put: number; body: string }> {
    const res = await allocateOnly(blob)
    if (res.status !== 201) return { allocated: res.status, put: 0, body: res.body }
    const { url, headers } = JSON.parse(res.body) as { url: string; headers: Record<string, string> }
    const put = await send(url, 'PUT', headers, blob.bytes)
    return { allocated: 201, put: put.status, body: put.body.toString() }
  }

  /** `POST /allocations` of `blob` only. */
  async function allocateOnly(blob: MemoryBlob): Promise<{ status: number; body: string }> {
    const res = await send(
      `${server().url}/allocations`,
      'POST',
      { ...bearer, 'content-type': 'application/json' },
      JSON.stringify({ space: did, blob: { digest: blob.z, size: blob.bytes.length } }),
    )
    return { status: res.status, body: res.body.toString() }
  }

  async function expectIntact(blob: MemoryBlob): Promise<void> {
    const got = await hashedGet(`${server().url}/blob/${blob.z}`)
    expect(got.status).toBe(200)
    expect({ sha256: got.sha256, bytes: got.bytes }).toEqual({
      sha256: blob.sha256,
      bytes: blob.bytes.length,
    })
  }

  /** Free bytes on the small disk. */
  async function free(): Promise<number> {
    const stats = await statfs(view(dataDir))
    return stats.bavail * stats.bsize
  }

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'strata-fault-disk-'))
    dataDir = join(base, 'data')
    await mkdir(dataDir)
    disk = await smallDisk(dataDir, DISK_MIB)
    if (disk === undefined) return
    console.log(`disk full: ${disk.mechanism} of a ${DISK_MIB} MiB tmpfs on ${dataDir}`)
    await start()
    did = JSON.parse((await send(`${server().url}/healthz`, 'GET')).body.toString()).did
  }, 60_000)

  afterAll(async () => {
    await child?.stop(5000)
    await disk?.release()
    if (base !== undefined) await rm(base, { recursive: true, force: true })
  }, 30_000)

  it('has a small disk to fill (a tmpfs mount, or one in a private namespace)', () => {
    // Not a silent skip: without a mount the suite fails here (ENOSPC is also injected in
    // fault-enospc.test.ts, which needs no mount).
    expect(disk, 'neither mount -t tmpfs nor unshare -rm works here').toBeDefined()
  })

  it('answers 507 to the upload that does not fit, leaving nothing behind; earlier blobs stay readable', async () => {
    let refused: { blob: MemoryBlob; allocated: number; put: number; body: string } | undefined
    for (let i = 0; i < 10 && refused === undefined; i++) {
      const blob = memoryBlob(BLOB_SIZE)
      const answer = await upload(blob)
      if (answer.allocated === 201 && answer.put === 201) stored.push(blob)
      else refused = { blob, ...answer }
    }
    // refused when allocated (statfs says it cannot fit) or when written (ENOSPC)
    const status = refused?.allocated === 201 ? refused.put : refused?.allocated
    console.log(
      `disk full: ${stored.length} blobs of ${BLOB_SIZE / MiB} MiB stored, the next ${refused?.allocated === 201 ? 'PUT' : 'allocation'} answered ${status}; ${Math.round((await free()) / 1024)} KiB free`,
    )
    expect(stored.length).toBeGreaterThanOrEqual(3)
    expect(status, refused?.body).toBe(507)
    expect(JSON.parse(refused?.body ?? '{}').error?.name).toBe('InsufficientStorageError')

    // An upload admitted while it fitted, whose disk another process fills mid-body: ENOSPC, 507.
    const late = memoryBlob(Math.floor((await free()) / 2))
    const { allocation } = await allocate(server().url, CHILD_TOKEN, did, late.z, late.bytes.length)
    const url = new URL(allocation.url as string)
    const connection = await RawConnection.open(server().port)
    connection.write(
      `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${Object.entries(
        allocation.headers ?? {},
      )
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')}\r\n`,
    )
    connection.write(late.bytes.subarray(0, 64 * 1024))
    await new Promise((resolve) => setTimeout(resolve, 200))
    const filler = await fill()
    try {
      connection.write(late.bytes.subarray(64 * 1024))
      const answer = await connection.answer()
      expect(answer.status, answer.body.toString()).toBe(507)
      expect(JSON.parse(answer.body.toString()).error?.name).toBe('InsufficientStorageError')
    } finally {
      connection.destroy()
      await rm(filler, { force: true })
    }
    expect((await send(`${server().url}/blob/${late.z}`, 'GET')).status).toBe(404)

    const blobsDir = view(join(dataDir, 'blobs'))
    expect(await readdir(join(blobsDir, '.temp'))).toEqual([])
    const dataFiles = (await filesUnder(blobsDir)).filter((f) => f.endsWith('.data'))
    expect(dataFiles).toHaveLength(stored.length)
    expect((await send(`${server().url}/blob/${refused?.blob.z}`, 'GET')).status).toBe(404)
    for (const blob of stored) await expectIntact(blob)
    expect((await send(`${server().url}/healthz`, 'GET')).status).toBe(200)
  }, 60_000)

  it('answers 507 to a record write on a full disk (POST /allocations, POST /acceptances), then keeps reading', async () => {
    // Fill what is left, as another process would.
    const filler = await fill()
    try {
      // an allocation is refused before it is written: the blob cannot fit
      const refused = await allocateOnly(memoryBlob(16))
      expect(refused.status, refused.body).toBe(507)
      // a record write that needs no room for a blob: LevelDB appends each record to its log; a
      // few still fit in the log's last, partly used page (tmpfs allocates whole pages). Accept
      // until the log needs a new page.
      const accepted = stored[0] as MemoryBlob
      let created = 0
      let answer: { status: number; body: string } | undefined
      for (let i = 0; i < 500; i++) {
        const res = await send(
          `${server().url}/acceptances`,
          'POST',
          { ...bearer, 'content-type': 'application/json' },
          JSON.stringify({ space: did, blob: { digest: accepted.z, size: accepted.bytes.length } }),
        )
        answer = { status: res.status, body: res.body.toString() }
        if (answer.status !== 201) break
        created++
      }
      console.log(
        `disk full: POST /allocations answered ${refused.status}; ${created} acceptances still fit, then POST /acceptances answered ${answer?.status}`,
      )
      // On failure, show what the server logged (a LevelDB `IO error: … No space left on device`).
      const logged = server()
        .output.filter((line) => line.includes('request failed'))
        .at(-1)
      expect(answer?.status, `${answer?.body}\n${logged?.slice(0, 600)}`).toBe(507)
      expect(JSON.parse(answer?.body ?? '{}').error?.name).toBe('InsufficientStorageError')
      for (const blob of stored) await expectIntact(blob)
      expect((await send(`${server().url}/healthz`, 'GET')).status).toBe(200)
    } finally {
      await rm(filler, { force: true })
    }
  }, 60_000)

  it('stores a new upload once a blob is deleted, and LevelDB reopens fine after a restart', async () => {
    const victim = stored.shift() as MemoryBlob
    expect((await send(`${server().url}/blob/${victim.z}`, 'DELETE', bearer)).status).toBe(204)
    const blob = memoryBlob(BLOB_SIZE - 12_345)
    const answer = await upload(blob)
    expect([answer.allocated, answer.put], answer.body).toEqual([201, 201])
    stored.push(blob)

    // A restart on the same dir opens every LevelDB store (nothing half-written) and serves all.
    const port = server().port
    await server().stop(10_000)
    await start(port)
    expect((await send(`${server().url}/readyz`, 'GET')).status).toBe(200)
    for (const b of stored) await expectIntact(b)
    const again = await allocate(server().url, CHILD_TOKEN, did, blob.z, blob.bytes.length)
    expect(again.allocation).toEqual({ allocated: false })
    const small = memoryBlob(10_000)
    const last = await upload(small)
    expect([last.allocated, last.put], last.body).toEqual([201, 201])
  }, 60_000)
})
