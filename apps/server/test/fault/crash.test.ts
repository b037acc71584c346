/**
 * Crash safety: the real `strata serve` is SIGKILLed while large uploads are mid-body (held there
 * by the client, so the kill is certain to land mid-write), while small uploads and journal
 * appends run in a loop. Then it is restarted on the same data (and buckets), and:
 * - no partial blob is visible: the held uploads are 404, and EVERY object in the blob store
 *   hashes to its own key (flatfs files / S3 objects re-hashed);
 * - the left-overs are cleaned: flatfs `.temp` is empty, S3 has no incomplete multipart upload;
 * - every blob acknowledged (2xx) before the kill is intact (re-hashed through GET); blobs in
 *   flight at the kill are either absent or whole;
 * - every journal entry acknowledged (201) before the kill is in the journal, in order;
 * - a held blob uploads fine after the restart.
 * A SIGKILL is a process crash, not a power loss: written pages survive it without fsync.
 */
import { createReadStream } from 'node:fs'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MinioObjectStore } from '@strata/objectstore/minio'
import {
  type Child,
  describeS3,
  incompleteUploads,
  type S3TestSettings,
  s3TestClient,
  startChild,
} from '@strata/testkit'
import { base32 } from 'multiformats/bases/base32'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type Blob,
  blobOf,
  expectBlobs,
  journalEntries,
  type LoopRecord,
  upload,
  writeLoop,
} from '../helpers/crash-helpers.js'
import { hashStream, send } from '../helpers/e2e-helpers.js'
import { dropStoreBuckets, s3Env } from '../helpers/s3-helpers.js'

const MiB = 1024 * 1024

/** What a mode provides: extra env, how to count left-overs, and how to list and read its objects. */
interface Mode {
  backend: 'filesystem' | 's3'
  env: Record<string, string>
  /** Writes in progress as seen from outside: flatfs temp files / S3 incomplete uploads. */
  leftovers(dataDir: string): Promise<number>
  /** Every stored blob object: its key and a stream of its bytes. */
  objects(dataDir: string): AsyncGenerator<{ key: string; body: AsyncIterable<Uint8Array> }>
}

/** The sha2-256 (hex) a flatfs / S3 blob key `NN/<base32 multihash>.data` names. */
function sha256OfKey(key: string): string {
  const name =
    key
      .split('/')
      .at(-1)
      ?.replace(/\.data$/, '') ?? ''
  return Buffer.from(decodeDigest(base32.decode(`b${name}`)).digest).toString('hex')
}

async function crashAndRestart(mode: Mode, held: { count: number; size: number }, dataDir: string) {
  const first = await startChild({ backend: mode.backend, dataDir, env: mode.env })
  let second: Child | undefined
  try {
    const space = (JSON.parse((await send(`${first.url}/healthz`, 'GET')).body.toString()) as { did: string })
      .did

    // before: a few blobs acknowledged
    const before = await Promise.all([1, 2, 3].map((n) => blobOf(n * MiB + 12_345, n)))
    for (const blob of before) expect(await upload(first.url, space, blob)).toBe(201)

    // during: large uploads held mid-body, a loop of small uploads and journal appends
    const heldBlobs = await Promise.all(
      Array.from({ length: held.count }, (_, i) => blobOf(held.size, 100 + i)),
    )
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const reached: Promise<void>[] = []
    const inFlight = heldBlobs.map((blob) => {
      let reachedHold: () => void = () => {}
      reached.push(new Promise<void>((resolve) => (reachedHold = resolve)))
      const hold = { at: Math.floor(blob.size * 0.6), reached: reachedHold, release: released }
      return upload(first.url, space, blob, hold).catch((error: unknown) => error)
    })
    const loopState = { stop: false }
    const record: LoopRecord = { acked: [], unacked: [], entries: [] }
    const loop = writeLoop(first.url, space, loopState, record)
    await Promise.all(reached)
    // the server has taken in (most of) the held bodies once their writes show from outside
    await until(async () => (await mode.leftovers(dataDir)) >= held.count, 20_000)
    await until(async () => record.entries.length >= 5, 20_000)
    await first.kill('SIGKILL')
    release()
    loopState.stop = true
    await loop
    const outcomes = await Promise.all(inFlight)
    expect(outcomes.every((outcome) => outcome instanceof Error)).toBe(true)
    const leftBehind = await mode.leftovers(dataDir)
    expect(leftBehind).toBeGreaterThanOrEqual(held.count)

    // after the restart
    second = await startChild({ backend: mode.backend, dataDir, env: mode.env })
    expect(await mode.leftovers(dataDir)).toBe(0)
    await expectBlobs(second.url, [...before, ...record.acked], record.unacked, heldBlobs)
    let objects = 0
    for await (const { key, body } of mode.objects(dataDir)) {
      expect({ key, sha256: (await hashStream(body)).sha256 }).toEqual({ key, sha256: sha256OfKey(key) })
      objects++
    }
    expect(objects).toBeGreaterThanOrEqual(before.length + record.acked.length)
    const again = heldBlobs[0] as Blob
    expect(await upload(second.url, space, again)).toBe(201)
    await expectBlobs(second.url, [again], [], [])
    await second.stop()

    const journal = await journalEntries(join(dataDir, 'journal'))
    expect(journal.entries.slice(0, record.entries.length)).toEqual(record.entries)
    expect(journal.entries.length - record.entries.length).toBeLessThanOrEqual(1)
    console.log(
      `crash (${mode.backend}): killed with ${held.count} × ${held.size / MiB} MiB uploads held at 60% ` +
        `(${leftBehind} left-overs), ${before.length + record.acked.length} acknowledged blobs intact, ` +
        `${record.unacked.length} in-flight small blobs absent-or-whole, ${objects} objects re-hashed, ` +
        `${record.entries.length} acknowledged journal entries kept (torn tail cut: ${journal.truncated} bytes)`,
    )
  } finally {
    await first.stop()
    await second?.stop()
  }
}

/** Polls `check` every 50 ms. @throws {Error} when it is still false after `ms`. */
async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('crash safety on filesystem', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('SIGKILL mid-upload: nothing partial, .temp cleaned, acknowledged blobs and journal entries intact', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-crash-fs-'))
    dirs.push(dataDir)
    const blobs = join(dataDir, 'blobs')
    const mode: Mode = {
      backend: 'filesystem',
      env: {},
      async leftovers() {
        const temps = await readdir(join(blobs, '.temp')).catch(() => [])
        // A temp file may be renamed into place between the listing and its stat: it is gone, not left over.
        const sizes = await Promise.all(
          temps.map((name) => stat(join(blobs, '.temp', name)).catch(() => ({ size: 0 }))),
        )
        return sizes.filter((file) => file.size > 0).length
      },
      async *objects() {
        for (const shard of await readdir(blobs, { withFileTypes: true })) {
          if (!shard.isDirectory() || shard.name === '.temp') continue
          for (const name of await readdir(join(blobs, shard.name))) {
            yield { key: `${shard.name}/${name}`, body: createReadStream(join(blobs, shard.name, name)) }
          }
        }
      },
    }
    await crashAndRestart(mode, { count: 3, size: 96 * MiB }, dataDir)
  })
})

describeS3('crash safety on s3', (settings: S3TestSettings) => {
  const prefix = `strata-crash-${Date.now().toString(36)}-`
  const client = s3TestClient(settings)
  const dirs: string[] = []
  afterAll(async () => {
    await dropStoreBuckets(client, prefix)
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('SIGKILL mid-upload: nothing partial, incomplete uploads aborted, acknowledged data intact', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-crash-s3-'))
    dirs.push(dataDir)
    const bucket = `${prefix}blobs`
    const mode: Mode = {
      backend: 's3',
      env: {
        ...s3Env(settings, prefix),
        // one instance: every incomplete upload found at start is a left-over
        STRATA_STORAGE_S3_ABORT_INCOMPLETE_UPLOADS_AFTER_MS: '0',
      },
      async leftovers() {
        return (await incompleteUploads(client, bucket)).length
      },
      async *objects() {
        const store = new MinioObjectStore({ client, bucket })
        await store.open()
        for await (const key of store.list('')) yield { key, body: (await store.get(key)).body }
      },
    }
    await crashAndRestart(mode, { count: 3, size: 40 * MiB }, dataDir)
  })
})
