/**
 * The identity key file through the BUILT CLI (`pnpm build` first): `strata identity generate`,
 * `parse` and `export`, and `strata serve` with `identity.keyFile`, which refuses every unusable
 * key file with exit code 2 and one line.
 */
import { spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelKeyStore } from '@strata/local/keystore'
import { CHILD_TOKEN, STRATA_BIN, startChild } from '@strata/testkit'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { createContainer } from '../../src/container/index.js'

/** RFC 8032 TEST 1 as Piri's `identity generate` would write it, and its did:key (test/unit/identity-key-file.test.ts). */
const GOLDEN_PEM =
  '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n'
const GOLDEN_DID = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw'

let cwd: string
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'strata-identity-cli-'))
})
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true })
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `strata …` in `cwd` with only `env` as STRATA_* settings; a `serve` that starts is stopped
 * once it listens (or after 15 s).
 */
function strata(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('STRATA_')),
    )
    const child = spawn(process.execPath, [STRATA_BIN, ...args], {
      cwd,
      env: { ...clean, STRATA_LOG_LEVEL: 'info', STRATA_SERVER_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGTERM'), 15_000)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (/"msg":"listening"/.test(stdout)) child.kill('SIGTERM')
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('strata identity generate | parse', () => {
  it('generate writes a PEM key on stdout and its DID on stderr; parse prints the same DID', async () => {
    const generated = await strata(['identity', 'generate'])
    expect(generated.code).toBe(0)
    expect(generated.stdout).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/]{64}\n-----END PRIVATE KEY-----\n$/,
    )
    const did = generated.stderr.trim()
    expect(did).toMatch(/^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/)
    await writeFile(join(cwd, 'key.pem'), generated.stdout, { mode: 0o600 })
    expect(await strata(['identity', 'parse', 'key.pem'])).toEqual({
      code: 0,
      stdout: `${did}\n`,
      stderr: '',
    })
  })

  it('generate -o creates the file 0600 and never overwrites one', async () => {
    const first = await strata(['identity', 'generate', '-o', 'service.pem'])
    expect(first.code).toBe(0)
    expect(first.stdout).toBe('')
    expect((await stat(join(cwd, 'service.pem'))).mode & 0o777).toBe(0o600)
    const pem = await readFile(join(cwd, 'service.pem'), 'utf8')
    expect((await strata(['identity', 'parse', 'service.pem'])).stdout.trim()).toBe(first.stderr.trim())
    const again = await strata(['identity', 'generate', '-o', 'service.pem'])
    expect(again).toEqual({
      code: 2,
      stdout: '',
      stderr: `strata: ${join(cwd, 'service.pem')} exists; refusing to overwrite a key file\n`,
    })
    expect(await readFile(join(cwd, 'service.pem'), 'utf8')).toBe(pem)
  })

  it("parse gives a Piri key file's did:key (RFC 8032's key, worked out by hand)", async () => {
    await writeFile(join(cwd, 'service.pem'), GOLDEN_PEM, { mode: 0o600 })
    expect((await strata(['identity', 'parse', 'service.pem'])).stdout).toBe(`${GOLDEN_DID}\n`)
  })

  it('parse refuses what serve refuses, exit 2 and one line', async () => {
    await writeFile(join(cwd, 'open.pem'), GOLDEN_PEM, { mode: 0o644 })
    await chmod(join(cwd, 'open.pem'), 0o644)
    expect(await strata(['identity', 'parse', 'open.pem'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `strata: identity key file ${join(cwd, 'open.pem')} is readable or writable by group or others (mode 0644); run chmod 600 on it\n`,
    })
  })
})

describe('strata identity export', () => {
  it("writes the wallet's identity as a key file that serve then uses (same DID)", async () => {
    const dataDir = join(cwd, 'data')
    const config = configSchema.parse({ storage: { dataDir } })
    const app = createContainer(config, { logger: pino({ level: 'silent' }) })
    await app.start()
    const did = app.cradle.identity.did
    await app.stop()
    const exported = await strata(['identity', 'export', '-o', 'node.pem'], {
      STRATA_STORAGE_DATA_DIR: dataDir,
    })
    expect(exported).toEqual({ code: 0, stdout: '', stderr: `${did}\n` })
    expect((await stat(join(cwd, 'node.pem'))).mode & 0o777).toBe(0o600)
    const child = await startChild({
      backend: 'filesystem',
      dataDir,
      env: { STRATA_IDENTITY_KEY_FILE: join(cwd, 'node.pem') },
    })
    try {
      const health = (await (await fetch(`${child.url}/healthz`)).json()) as { did: string }
      expect(health.did).toBe(did)
    } finally {
      await child.stop()
    }
  })

  it('exits 2 when there is no wallet, or no identity in it', async () => {
    const dataDir = join(cwd, 'none')
    expect(await strata(['identity', 'export'], { STRATA_STORAGE_DATA_DIR: dataDir })).toEqual({
      code: 2,
      stdout: '',
      stderr: `strata: ${join(dataDir, 'wallet')} does not exist: no wallet to export from\n`,
    })
    const wallet = new LevelKeyStore({ path: join(dataDir, 'wallet') })
    await wallet.open()
    await wallet.close()
    expect(await strata(['identity', 'export'], { STRATA_STORAGE_DATA_DIR: dataDir })).toEqual({
      code: 2,
      stdout: '',
      stderr: `strata: ${join(dataDir, 'wallet')} holds no node identity\n`,
    })
  })
})

describe('strata serve with identity.keyFile', () => {
  it('serves with the key file’s DID on /healthz', async () => {
    const dataDir = join(cwd, 'data')
    await mkdir(dataDir)
    await writeFile(join(cwd, 'service.pem'), GOLDEN_PEM, { mode: 0o600 })
    const child = await startChild({
      backend: 'filesystem',
      dataDir,
      env: { STRATA_IDENTITY_KEY_FILE: join(cwd, 'service.pem') },
    })
    try {
      expect(await (await fetch(`${child.url}/healthz`)).json()).toEqual({ ok: true, did: GOLDEN_DID })
      expect(child.token).toBe(CHILD_TOKEN)
    } finally {
      await child.stop()
    }
  })

  const refusals: Array<[string, (path: string) => Promise<void>, string]> = [
    ['missing', async () => {}, 'does not exist'],
    [
      'group- or world-readable',
      async (path) => {
        await writeFile(path, GOLDEN_PEM)
        await chmod(path, 0o640)
      },
      'is readable or writable by group or others (mode 0640); run chmod 600 on it',
    ],
    ['not a regular file', (path) => mkdir(path, { mode: 0o700 }), 'is not a regular file (a directory)'],
    [
      'not an Ed25519 PEM private key',
      (path) => writeFile(path, 'did:key:z6Mk…\n', { mode: 0o600 }),
      'is not an Ed25519 private key in PEM (PKCS#8, -----BEGIN PRIVATE KEY-----)',
    ],
  ]

  it.each(refusals)('refuses a key file that is %s: exit 2, one line', async (_, make, problem) => {
    const path = join(cwd, 'service.pem')
    await make(path)
    const dataDir = join(cwd, 'data')
    const run = await strata(['serve'], { STRATA_STORAGE_DATA_DIR: dataDir, STRATA_IDENTITY_KEY_FILE: path })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(`strata: refusing to start: identity key file ${path} ${problem}\n`)
    expect(run.stdout).not.toMatch(/"msg":"listening"/)
  })
})
