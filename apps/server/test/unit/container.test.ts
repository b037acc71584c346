import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { STAGING_PREFIX } from '@strata/blobstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { ed25519 } from '@ucanto/principal'
import { asFunction } from 'awilix'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConfigInput, configSchema } from '../../src/config/index.js'
import { type Cradle, createContainer, type StrataContainer } from '../../src/container/index.js'

const quiet = pino({ level: 'silent' })
let dataDir: string
const running: StrataContainer[] = []

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-container-'))
})
afterEach(async () => {
  for (const app of running.splice(0)) await app.stop()
  await rm(dataDir, { recursive: true, force: true })
})

function make(input: ConfigInput = {}): StrataContainer {
  const config = configSchema.parse({ ...input, storage: { dataDir, ...input.storage } })
  const app = createContainer(config, { logger: quiet })
  running.push(app)
  return app
}

async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** A blob of `text` and an allocation for it. */
async function sample(text = 'hello world') {
  const bytes = new TextEncoder().encode(text)
  const digest = await sha256.digest(bytes)
  const space = (await ed25519.generate()).did()
  const cause = CID.create(1, 0x71, await sha256.digest(new TextEncoder().encode(`cause of ${text}`)))
  return {
    bytes,
    digest,
    allocation: { space, blob: { digest, size: bytes.length }, expires: 4_102_444_800, cause },
  }
}

type Sample = Awaited<ReturnType<typeof sample>>

async function expectStored(cradle: Cradle, s: Sample): Promise<void> {
  const whole = await cradle.blobs.get(s.digest)
  expect(whole.size).toBe(s.bytes.length)
  expect(await bytesOf(whole.body)).toEqual(Buffer.from(s.bytes))
  const part = await cradle.blobs.get(s.digest, { range: { start: 6, end: 10 } })
  expect(part.size).toBe(s.bytes.length)
  expect((await bytesOf(part.body)).toString()).toBe('world')
  const found = await cradle.allocations.getAnyNonExpired(s.digest, 1_700_000_000)
  expect(found.space).toBe(s.allocation.space)
  expect(found.blob.size).toBe(s.bytes.length)
}

async function roundTrip(cradle: Cradle): Promise<Sample> {
  const s = await sample()
  expect((await cradle.blobs.put(s.digest, s.bytes.length, s.bytes)).created).toBe(true)
  await cradle.allocations.put(s.allocation)
  await expectStored(cradle, s)
  return s
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

describe('memory backend', () => {
  it('starts, stores, reports ready, stops, and leaves no files behind', async () => {
    const app = make({ storage: { backend: 'memory', dataDir } })
    expect(app.backend).toBe('memory')
    expect(() => app.cradle.authToken).toThrow(/once the container is started/)
    expect((await app.cradle.readiness()).ready).toBe(false)
    await app.start()
    await roundTrip(app.cradle)
    await app.cradle.keystore.put('persisted-key', new Uint8Array([1, 2, 3]))
    expect(app.cradle.authToken).toMatch(/^[\w-]{43}$/)
    const report = await app.cradle.readiness()
    expect(report.ready).toBe(true)
    expect(Object.keys(report.checks).sort()).toEqual(
      [
        'acceptances',
        'allocations',
        'blobs',
        'blocks',
        'cars',
        'claims',
        'consolidations',
        'files',
        'gc',
        'journal',
        'keystore',
        'labels',
        'owners',
        'receipts',
        'started',
      ].sort(),
    )
    const journalDir = app.locations.journal as string
    expect(await exists(join(journalDir, 'egress.car.wip'))).toBe(true)
    await app.stop()
    expect(await exists(journalDir)).toBe(false)
    expect(await readdir(dataDir)).toEqual([])
    const after = await app.cradle.readiness()
    expect(after.ready).toBe(false)
    expect(after.checks.started).toMatchObject({ ok: false, error: 'not started' })
  })

  it('uses server.authToken when set', async () => {
    const app = make({ storage: { backend: 'memory' }, server: { authToken: 'a-configured-token-123' } })
    await app.start()
    expect(app.cradle.authToken).toBe('a-configured-token-123')
  })
})

describe('filesystem backend', () => {
  it('lays out <dataDir> as docs/architecture.md says, and persists across restarts', async () => {
    const first = make({ storage: { backend: 'filesystem' } })
    await first.start()
    const s = await roundTrip(first.cradle)
    await first.cradle.keystore.put('persisted-key', new Uint8Array([7]))
    const token = first.cradle.authToken
    expect((await first.cradle.readiness()).ready).toBe(true)
    await first.stop()

    expect(await readFile(join(dataDir, 'blobs', 'SHARDING'), 'utf8')).toBe(
      '/repo/flatfs/shard/v1/next-to-last/2\n',
    )
    // sha2-256 of "hello world", base32: Piri's flatfs path.
    expect(
      await exists(
        join(dataDir, 'blobs', '32', 'ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i.data'),
      ),
    ).toBe(true)
    const levelDirs = ['allocation', 'acceptance', 'claim', 'receipt', 'consolidation', 'wallet']
    for (const dir of [...levelDirs, 'labels', 'owners', 'gc', 'cars', 'blocks']) {
      expect(await exists(join(dataDir, dir, 'CURRENT')), dir).toBe(true) // a LevelDB directory
    }
    expect(await exists(join(dataDir, 'journal', 'egress.car.wip'))).toBe(true)
    const tokenFile = await stat(join(dataDir, 'auth-token'))
    expect(tokenFile.mode & 0o777).toBe(0o600)
    expect((await readFile(join(dataDir, 'auth-token'), 'utf8')).trim()).toBe(token)
    expect((await readdir(dataDir)).sort()).toEqual(
      [
        'acceptance',
        'allocation',
        'auth-token',
        'blobs',
        'blocks',
        'cars',
        'claim',
        'consolidation',
        'gc',
        'journal',
        'labels',
        'owners',
        'receipt',
        'wallet',
      ].sort(),
    )

    const second = make({ storage: { backend: 'filesystem' } })
    await second.start()
    await expectStored(second.cradle, s)
    expect(await second.cradle.keystore.get('persisted-key')).toEqual(new Uint8Array([7]))
    expect(second.cradle.authToken).toBe(token)
  })

  it('removes the blob store staging objects an interrupted add left, at start', async () => {
    const first = make({ storage: { backend: 'filesystem' } })
    await first.start()
    // What a process killed between staging and publishing an `add` leaves behind.
    const staged = new FlatfsObjectStore({ path: join(dataDir, 'blobs') })
    await first.stop()
    await staged.open()
    const key = `${STAGING_PREFIX}${(Date.now() - 1000).toString(36)}-0123456789abcdef`
    await staged.put(key, 5, new TextEncoder().encode('stale'))
    await staged.close()
    const second = make({ storage: { backend: 'filesystem' } })
    await second.start()
    const added = await second.cradle.blobs.add(new TextEncoder().encode('fresh'))
    expect(added.created).toBe(true)
    await second.stop()
    await staged.open()
    const left: string[] = []
    for await (const each of staged.list(STAGING_PREFIX)) left.push(each)
    await staged.close()
    expect(left).toEqual([])
  })

  it('can be started again after stop, and start/stop are idempotent', async () => {
    const app = make()
    await app.start()
    await app.start()
    const s = await roundTrip(app.cradle)
    await app.stop()
    await app.stop()
    await app.start()
    await expectStored(app.cradle, s)
  })

  it('fails to start on a foreign blobs directory, naming it, and closes what it opened', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises')
    await mkdir(join(dataDir, 'blobs'))
    await writeFile(join(dataDir, 'blobs', 'stray-file'), 'x')
    const app = make()
    await expect(app.start()).rejects.toMatchObject({
      name: 'StartupError',
      resource: expect.stringContaining('blobs (flatfs'),
    })
    expect((await app.cradle.readiness()).ready).toBe(false)
    // Nothing stays open: a second container can open the LevelDB directories (LevelDB locks them).
    await rm(join(dataDir, 'blobs'), { recursive: true })
    const other = make()
    await other.start()
  })
})

describe('createContainer', () => {
  it('does no I/O before start (no directory, no LevelDB lock)', async () => {
    const sub = join(dataDir, 'sub')
    const idle = createContainer(configSchema.parse({ storage: { dataDir: sub } }), { logger: quiet })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await exists(sub)).toBe(false)
    expect((await idle.cradle.readiness()).checks.allocations?.error).toBe('failed')
    const app = make({ storage: { dataDir: sub } })
    await app.start()
    await roundTrip(app.cradle)
  })
})

describe('awilix', () => {
  it('injects by name in PROXY mode and refuses unknown names', async () => {
    const app = make({ storage: { backend: 'memory' } })
    app.container.register({
      probe: asFunction(({ blobs, config }: Cradle) => ({ blobs, port: config.server.port })),
    })
    const probe = app.container.resolve<{ blobs: unknown; port: number }>('probe')
    expect(probe.blobs).toBe(app.cradle.blobs)
    expect(probe.port).toBe(3000)
    expect(() => app.container.resolve('nothing')).toThrow(/nothing/)
  })
})
