import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { base58btc } from 'multiformats/bases/base58'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { type RunningServer, startServer } from '../../src/server.js'
import { ensureBuilt, strata } from '../helpers/cli-run.js'

const TOKEN = 'cli-content-test-token-0123'

describe('strata label, owner and gc against a running server', () => {
  let dataDir: string
  let server: RunningServer
  let run: (...args: string[]) => ReturnType<typeof strata>
  const z = async (bytes: Uint8Array) =>
    base58btc.encode((await server.container.cradle.blobs.add(bytes)).digest.bytes)

  beforeAll(async () => {
    await ensureBuilt()
    dataDir = await mkdtemp(join(tmpdir(), 'strata-cli-content-'))
    const config = configSchema.parse({
      server: { port: 0, authToken: TOKEN },
      storage: { backend: 'filesystem', dataDir },
      gc: { graceMs: 0 },
    })
    server = await startServer({ config, logger: pino({ level: 'silent' }) })
    run = (...args: string[]) => strata([...args, '--url', server.url], dataDir, { STRATA_TOKEN: TOKEN })
  })
  afterAll(async () => {
    await server.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('sets, gets, lists and removes labels, with compare-and-swap', async () => {
    const ref = await z(new Uint8Array(randomBytes(30)))
    const created = await run('label', 'set', 'actor/1/head', ref, '--create', '--owner', 'did:plc:abc')
    expect(created.code).toBe(0)
    const label = JSON.parse(created.stdout) as { name: string; ref: string; version: string; owner: string }
    expect(label).toMatchObject({ name: 'actor/1/head', ref, owner: 'did:plc:abc' })
    const again = await run('label', 'set', 'actor/1/head', ref, '--create')
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/PUT \/labels\/actor%2F1%2Fhead failed: 412 LabelConflictError/)
    expect(JSON.parse((await run('label', 'get', 'actor/1/head')).stdout)).toEqual(label)
    await run('label', 'set', 'actor/2/head', ref)
    const listed = await run('label', 'ls', 'actor/')
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[0]),
    ).toEqual(['actor/1/head', 'actor/2/head'])
    const stale = await run('label', 'rm', 'actor/1/head', '--if-version', 'nope')
    expect(stale.code).toBe(1)
    expect((await run('label', 'rm', 'actor/1/head', '--if-version', label.version)).code).toBe(0)
    expect((await run('label', 'get', 'actor/1/head')).stderr).toContain('404 LabelNotFoundError')
  })

  it('answers owner stat, ls and wipe; gc collects what the wipe let go', async () => {
    const owner = 'did:plc:cliowner'
    const ref = await z(new Uint8Array(randomBytes(40)))
    await run('label', 'set', 'owned', ref, '--owner', owner)
    expect(JSON.parse((await run('owner', 'stat', owner)).stdout)).toEqual({
      did: owner,
      blobs: 1,
      bytes: 40,
      labels: 1,
    })
    expect((await run('owner', 'ls', owner)).stdout.trim()).toBe(`${ref}\t40`)
    expect(JSON.parse((await run('owner', 'wipe', owner)).stdout)).toMatchObject({ blobs: 1, labels: 1 })
    const dry = JSON.parse((await run('gc', '--dry-run')).stdout) as { deleted: number; dryRun: boolean }
    expect(dry.dryRun).toBe(true)
    expect(dry.deleted).toBeGreaterThanOrEqual(1)
    const real = JSON.parse((await run('gc')).stdout) as { deleted: number }
    expect(real.deleted).toBe(dry.deleted)
    expect((await run('owner', 'ls', owner)).stdout).toBe('')
  })

  it('refuses bad usage with exit 2, and writes without a token with exit 2', async () => {
    expect((await run('label', 'set', 'x')).code).toBe(2)
    expect((await run('label', 'set', 'x', 'y', '--create', '--if-version', 'v')).code).toBe(2)
    expect((await run('owner', 'frobnicate', 'did:plc:x')).stderr).toContain(
      'unknown command: owner frobnicate',
    )
    expect((await run('gc', 'now')).code).toBe(2)
    expect((await run('label', 'ls', '--owner', 'x')).stderr).toContain('label ls does not take --owner')
    const noToken = await strata(['gc', '--url', server.url], dataDir, {
      STRATA_STORAGE_DATA_DIR: join(dataDir, 'none'),
    })
    expect(noToken.code).toBe(2)
  })
})
