/**
 * A 1 GiB CAR of 256 KiB blocks through `POST /car` to the real `strata serve` (a child process:
 * `startChild`) on the filesystem backend and on S3: the server's RSS grows by less than 96 MiB
 * while it imports, and the CAR reads back (its export hashes as the source did; blocks verify).
 *
 * The CAR is generated as a stream (`largeCar`), never held: one pass hashes it for its root, the
 * upload regenerates it and hashes what it sends. RSS growth is measured as in `e2e-memory.test.ts`:
 * the peak while importing over an idle baseline taken after a warm-up import (lazily loaded code
 * and JIT are not growth), sampled every 50 ms.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { carOf, largeCar, sampleDag } from '@strata/car/testing/data'
import { CHILD_TOKEN, type Child, s3TestClient, s3TestEnv, startChild } from '@strata/testkit'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashedGet, send } from '../helpers/e2e-helpers.js'
import { dropStoreBuckets, s3Env } from '../helpers/s3-helpers.js'

const MiB = 1024 * 1024
const BOUND = 96 * MiB
const SAMPLE_EVERY_MS = 50
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const mib = (bytes: number) => (bytes / MiB).toFixed(1)
const linux = process.platform === 'linux' && existsSync('/proc/self/status')
const s3 = s3TestEnv()

/** The highest RSS of `child` while `task` runs, sampled every 50 ms. */
async function peakRss<T>(child: Child, task: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = child.rss()
  const timer = setInterval(() => {
    peak = Math.max(peak, child.rss())
  }, SAMPLE_EVERY_MS)
  try {
    const result = await task()
    return { result, peak: Math.max(peak, child.rss()) }
  } finally {
    clearInterval(timer)
  }
}

/** `POST /car` of a stream of `size` bytes. */
function postCar(child: Child, size: number, body: AsyncIterable<Uint8Array> | Uint8Array) {
  const headers = {
    authorization: `Bearer ${CHILD_TOKEN}`,
    'content-type': 'application/vnd.ipld.car',
    'content-length': String(size),
  }
  return send(`${child.url}/car`, 'POST', headers, body)
}

const backends: Array<{
  name: 'filesystem' | 's3'
  env: () => Record<string, string>
  after?: () => Promise<void>
}> = [{ name: 'filesystem', env: () => ({}) }]
if (s3 !== undefined) {
  const prefix = `strata-carbig-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}-`
  backends.push({
    name: 's3',
    env: () => s3Env(s3, prefix),
    after: () => dropStoreBuckets(s3TestClient(s3), prefix),
  })
}

describe.runIf(linux).each(backends)('1 GiB CAR of 256 KiB blocks through POST /car: $name', (backend) => {
  let dataDir = ''
  let child: Child

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-car-large-'))
    child = await startChild({
      backend: backend.name,
      dataDir,
      env: backend.env(),
    })
  }, 60_000)

  afterAll(async () => {
    await child?.stop()
    await backend.after?.()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  }, 120_000)

  it('imports with server RSS growth < 96 MiB; the export and blocks read back verified', async () => {
    // warm-up: a small CAR through the same route, then the idle baseline
    const dag = sampleDag()
    const small = carOf([dag.root], dag.blocks)
    expect((await postCar(child, small.length, small)).status).toBe(201)
    await sleep(1000)
    let baseline = 0
    for (let i = 0; i < 10; i++) {
      baseline = Math.max(baseline, child.rss())
      await sleep(SAMPLE_EVERY_MS)
    }

    const car = largeCar({ leaves: 4096, leafSize: 256 * 1024, leafCodec: 'raw' })
    let started = performance.now()
    const root = car.root()
    const size = car.size()
    const rootMs = performance.now() - started
    expect(size).toBeGreaterThan(1024 * MiB)
    const sent = createHash('sha256')
    async function* hashed(): AsyncGenerator<Uint8Array> {
      for await (const chunk of car.stream()) {
        sent.update(chunk)
        yield chunk
      }
    }
    started = performance.now()
    const up = await peakRss(child, () => postCar(child, size, hashed()))
    const importMs = performance.now() - started
    expect(up.result.status, up.result.body.toString()).toBe(201)
    const answer = JSON.parse(up.result.body.toString()) as { roots: string[]; blocks: number; size: number }
    expect(answer).toMatchObject({ roots: [root.toString()], blocks: 4096 + 133, size })

    // read back: the export (as stored: a complete CAR with one root) hashes as the source did
    started = performance.now()
    const exported = await hashedGet(`${child.url}/car/${root}`)
    const exportMs = performance.now() - started
    expect({ status: exported.status, bytes: exported.bytes, sha256: exported.sha256 }).toEqual({
      status: 200,
      bytes: size,
      sha256: sent.digest('hex'),
    })
    // and blocks by CID: the first leaves, and the root (checked against its CID)
    let checked = 0
    for (const block of car.blocks()) {
      const got = await send(`${child.url}/block/${block.cid}`, 'GET')
      expect(got.status).toBe(200)
      expect(Buffer.compare(got.body, block.bytes)).toBe(0)
      if (++checked === 3) break
    }
    const top = await send(`${child.url}/block/${root}`, 'GET')
    expect(Buffer.from(createHash('sha256').update(top.body).digest())).toEqual(
      Buffer.from(CID.asCID(root)?.multihash.digest ?? []),
    )

    const rate = (ms: number) => (size / MiB / (ms / 1000)).toFixed(1)
    console.log(
      `car-large (${backend.name}): ${mib(size)} MiB, ${answer.blocks} blocks; RSS idle ${mib(baseline)} MiB, ` +
        `import peak ${mib(up.peak)} MiB (+${mib(up.peak - baseline)} MiB) in ${(importMs / 1000).toFixed(1)} s ` +
        `(${rate(importMs)} MiB/s); export in ${(exportMs / 1000).toFixed(1)} s (${rate(exportMs)} MiB/s); ` +
        `root pass ${(rootMs / 1000).toFixed(1)} s`,
    )
    expect(up.peak - baseline).toBeLessThan(BOUND)
  }, 600_000)
})
