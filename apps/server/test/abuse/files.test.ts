/**
 * Abuse battery, files (issue 14, D7): the data dir followed the umask (with umask 000 the record
 * stores were 777 and the LevelDB files 666), and `auth-token` and `wallet/` were trusted whoever
 * owned them: a local user could swap in their own token, and a vanished wallet was replaced by a
 * new node identity without a word.
 *
 * Now the server runs with umask 0077 (everything it creates is 0700 / 0600), refuses to start
 * (exit 2, one line) when the data dir, `auth-token` or `wallet/` is another user's or writable by
 * group or others, and refuses a missing identity in a data dir that held a node unless
 * `storage.allowNewIdentity` is set.
 */
import { spawn } from 'node:child_process'
import { chmod, chown, lstat, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Child, STRATA_BIN, startChild } from '@strata/testkit'
import { pino } from 'pino'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { createContainer } from '../../src/container/index.js'
import { allocate, memoryBlob, send } from '../helpers/e2e-helpers.js'

const dirs: string[] = []
const children: Child[] = []
afterEach(async () => {
  for (const child of children.splice(0)) await child.stop()
})
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

const umask000 = (argv: string[]) => ['sh', '-c', 'umask 000 && exec "$0" "$@"', ...argv]

/** Every path under `root` (itself included) with its permission bits. */
async function modes(root: string): Promise<Array<{ path: string; mode: number; dir: boolean }>> {
  const found: Array<{ path: string; mode: number; dir: boolean }> = []
  const walk = async (path: string) => {
    const entry = await lstat(path)
    found.push({ path, mode: entry.mode & 0o777, dir: entry.isDirectory() })
    if (entry.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name))
  }
  await walk(root)
  return found
}

/** `strata serve` on `dataDir` (umask 000, generated token): its exit code and output, bounded in time. */
function serveOnce(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, STRATA_BIN, 'serve'], {
      cwd: dataDir,
      env: {
        PATH: process.env.PATH ?? '',
        STRATA_STORAGE_DATA_DIR: dataDir,
        STRATA_SERVER_PORT: '0',
        STRATA_LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    // a server that starts is stopped once it listens (or after 10 s)
    const timer = setTimeout(() => child.kill('SIGTERM'), 10_000)
    child.stdout.on('data', () => {
      if (/"msg":"listening"/.test(stdout)) child.kill('SIGTERM')
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr, stdout })
    })
  })
}

/**
 * Starts (then stops) the container in this process on `dataDir`: answers the start failure's
 * cause, or the node's DID when it started.
 */
async function startIn(dataDir: string, extra: { allowNewIdentity?: boolean } = {}): Promise<Error | string> {
  const config = configSchema.parse({ storage: { backend: 'filesystem', dataDir, ...extra } })
  const container = createContainer(config, { logger: pino({ level: 'silent' }) })
  try {
    await container.start()
  } catch (error) {
    return (error as Error).cause as Error
  }
  const did = container.cradle.identity.did
  await container.stop()
  return did
}

/** A data dir in which a node ran (generated token, one blob), stopped; made once, shared in order. */
let used: Promise<{ dataDir: string; did: string }> | undefined
const usedDataDir = () => {
  used ??= makeUsedDataDir()
  return used
}

async function makeUsedDataDir(): Promise<{ dataDir: string; did: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-abuse-files-'))
  dirs.push(dataDir)
  const child = await startChild({ backend: 'filesystem', dataDir, generatedToken: true, wrap: umask000 })
  const { did } = JSON.parse((await send(`${child.url}/healthz`, 'GET')).body.toString()) as { did: string }
  const blob = memoryBlob(4096)
  const { allocation } = await allocate(child.url, child.token, did, blob.z, blob.bytes.length)
  expect((await send(allocation.url as string, 'PUT', allocation.headers, blob.bytes)).status).toBe(201)
  await child.stop()
  return { dataDir, did }
}

describe('D7: the data dir, whatever the umask', () => {
  it('with umask 000, everything the server creates is 0700 or 0600', async () => {
    const { dataDir } = await usedDataDir()
    const found = await modes(dataDir)
    const loose = found.filter(({ mode, dir }) => (dir ? mode !== 0o700 : (mode & 0o077) !== 0))
    console.log(
      `D7: umask 000: ${found.filter((f) => f.dir).length} directories, ${found.filter((f) => !f.dir).length} files; ` +
        `not private: ${loose.length}`,
    )
    expect(loose).toEqual([])
    expect(found.length).toBeGreaterThan(30) // the LevelDB files, the flatfs shards, the journal, the token
  })
})

describe('D7: refusals (exit 2, one line)', () => {
  const root = process.getuid?.() === 0 // chown to another user needs root (as here and in CI)
  it.skipIf(!root)(
    'refuses an auth-token or wallet/ writable by others or owned by another user, and a group-writable data dir',
    async () => {
      const { dataDir } = await usedDataDir()
      const token = join(dataDir, 'auth-token')
      const wallet = join(dataDir, 'wallet')
      const cases: Array<[string, () => Promise<void>, () => Promise<void>, RegExp]> = [
        [
          'auth-token 0666',
          () => chmod(token, 0o666),
          () => chmod(token, 0o600),
          /auth-token is writable by group or others \(mode 0666\)/,
        ],
        [
          'auth-token swapped by another user',
          async () => {
            await writeFile(join(dataDir, 'planted'), 'attacker-chosen-token-0123456789\n', { mode: 0o600 })
            await chown(join(dataDir, 'planted'), 65534, 65534)
            await rename(token, join(dataDir, 'kept'))
            await rename(join(dataDir, 'planted'), token)
          },
          () => rename(join(dataDir, 'kept'), token),
          /auth-token is owned by uid 65534, not by this process/,
        ],
        [
          'wallet/ owned by another user',
          () => chown(wallet, 65534, 65534),
          () => chown(wallet, 0, 0),
          /wallet is owned by uid 65534/,
        ],
        [
          'a wallet file 0666',
          async () =>
            chmod(join(wallet, (await readdir(wallet)).find((n) => n.endsWith('.log')) ?? 'CURRENT'), 0o666),
          async () => {
            for (const name of await readdir(wallet)) await chmod(join(wallet, name), 0o600)
          },
          /wallet\/[^ ]+ is writable by group or others/,
        ],
        [
          'the data dir 0770',
          () => chmod(dataDir, 0o770),
          () => chmod(dataDir, 0o700),
          /is writable by group or others \(mode 0770\)/,
        ],
      ]
      for (const [label, spoil, restore, message] of cases) {
        await spoil()
        const refused = await startIn(dataDir)
        expect(refused, label).toBeInstanceOf(Error)
        expect((refused as Error).name, label).toBe('UnsafeDataDirError')
        expect((refused as Error).message, label).toMatch(message)
        await restore()
      }
      // the CLI: exit 2 and one line, the server never listens
      await chmod(token, 0o666)
      const run = await serveOnce(dataDir)
      const lines = run.stderr.trim().split('\n')
      expect(run.code, `${run.stderr}${run.stdout}`).toBe(2)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(
        /^strata: refusing to start: \/.*\/auth-token is writable by group or others \(mode 0666\)/,
      )
      expect(run.stdout).not.toMatch(/"msg":"listening"/)
      await chmod(token, 0o600)
      // restored: it starts again
      expect(await startIn(dataDir)).toMatch(/^did:key:/)
    },
  )

  // last: it replaces the identity of the shared data dir
  it('refuses to generate a new identity when wallet/ has vanished from a used data dir, unless allowed', async () => {
    const { dataDir, did } = await usedDataDir()
    await rm(join(dataDir, 'wallet'), { recursive: true })
    const refused = await serveOnce(dataDir)
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toMatch(
      /^strata: refusing to start: .*wallet holds no node identity .*storage\.allowNewIdentity/,
    )
    // and on the next try, refused again (the empty wallet it left is no identity either)
    expect(((await startIn(dataDir)) as Error).name).toBe('IdentityMissingError')
    const allowed = await serveOnce(dataDir, { STRATA_STORAGE_ALLOW_NEW_IDENTITY: 'true' })
    expect(allowed.stdout).toMatch(/"msg":"listening"/)
    expect(allowed.stdout).toMatch(/generating a new one/)
    expect(allowed.stdout).not.toContain(did)
    // the new identity is kept: a later start needs no setting
    expect(await startIn(dataDir)).toMatch(/^did:key:/)
  })
})
