import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { base58btc } from 'multiformats/bases/base58'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { type RunningServer, startServer } from '../../src/server.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'strata.js')
const built = join(root, 'dist', 'cli', 'index.js')

/** Newest modification time under `dir`, in ms. */
async function newest(dir: string): Promise<number> {
  let latest = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, (await stat(join(entry.parentPath, entry.name))).mtimeMs)
  }
  return latest
}

/** Builds `dist/` when it is missing or older than `src/` (turbo builds before `test`; `pnpm vitest` does not). */
beforeAll(async () => {
  const distTime = await stat(built).then(
    (s) => s.mtimeMs,
    () => 0,
  )
  if (distTime >= (await newest(join(root, 'src')))) return
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
})

interface Result {
  code: number | null
  stdout: Buffer
  stderr: string
}

let cwd: string
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'strata-cli-'))
})
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true })
})

/** The parent environment without its `STRATA_*` variables, plus `env`. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('STRATA_')))
  return { ...clean, ...env }
}

function launch(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    cwd,
    env: environment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Runs `strata …` to completion (asynchronously: an in-process server keeps answering). */
function strata(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = launch(args, env)
    const out: Buffer[] = []
    let err = ''
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }))
  })
}

describe('strata config check', () => {
  it('prints the resolved configuration with secrets redacted', async () => {
    const { code, stdout, stderr } = await strata(['config', 'check'], {
      STRATA_SERVER_AUTH_TOKEN: 'a-very-secret-token-value',
      STRATA_SERVER_PORT: '8081',
    })
    expect(code).toBe(0)
    const config = JSON.parse(stdout.toString())
    expect(config.server).toMatchObject({ port: 8081, authToken: '[redacted]' })
    expect(config.storage).toMatchObject({ backend: 'filesystem', dataDir: join(cwd, 'data') })
    expect(stdout.toString()).not.toContain('a-very-secret-token-value')
    expect(stderr).toContain('configuration OK')
    expect(stderr).toContain('STRATA_SERVER_PORT')
  })

  it('reads --config files', async () => {
    await writeFile(join(cwd, 'my.json'), JSON.stringify({ storage: { backend: 'memory' } }))
    const { code, stdout } = await strata(['config', 'check', '--config', 'my.json'])
    expect(code).toBe(0)
    expect(JSON.parse(stdout.toString()).storage.backend).toBe('memory')
  })

  it('exits 2 with one line per bad key and no stack trace', async () => {
    const { code, stdout, stderr } = await strata(['config', 'check'], { STRATA_STORAGE_BACKEND: 'nope' })
    expect(code).toBe(2)
    expect(stdout.length).toBe(0)
    const lines = stderr.trimEnd().split('\n')
    expect(lines).toEqual([
      'strata: invalid configuration:',
      '  storage.backend: expected one of memory, filesystem, s3 (from STRATA_STORAGE_BACKEND)',
    ])
  })

  it('usage errors exit 2', async () => {
    expect((await strata(['frobnicate'])).code).toBe(2)
    expect((await strata(['get'])).stderr).toMatch(/get takes exactly one argument/)
    expect((await strata(['serve', '--range', '1-2'])).stderr).toMatch(/serve does not take --range/)
    const help = await strata(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout.toString()).toContain('usage: strata')
  })
})

describe('strata serve', () => {
  it('exits 2 on an invalid configuration, one line per issue', async () => {
    const { code, stderr } = await strata(['serve'], { STRATA_SERVER_PORT: '99999' })
    expect(code).toBe(2)
    expect(stderr).toContain('  server.port: expected an integer from 0 to 65535 (from STRATA_SERVER_PORT)')
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it('starts on the embedded default (filesystem under ./data), answers /healthz, exits 0 on SIGTERM', async () => {
    const child = launch(['serve'], { STRATA_SERVER_PORT: '0' })
    let out = ''
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const found = /"url":"(http:\/\/[^"]+)".*"msg":"listening"/.exec(out)
        if (found?.[1]) resolve(found[1])
      })
      child.on('close', () => reject(new Error(`serve exited early: ${out}`)))
    })
    const health = await fetch(`${url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ ok: true, did: expect.stringMatching(/^did:key:z6Mk/) })
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    expect((await stat(join(cwd, 'data', 'blobs', 'SHARDING'))).isFile()).toBe(true)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).toContain('"msg":"stopped"')
    expect(out).toMatch(/"path":"\/healthz".*"msg":"request"/)
  })
})

describe('strata get and put against a running server', () => {
  let dataDir: string
  let server: RunningServer
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256))
  let digest: string

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-cli-server-'))
    const config = configSchema.parse({ server: { port: 0 }, storage: { backend: 'filesystem', dataDir } })
    server = await startServer({ config, logger: pino({ level: 'silent' }) })
    const hash = await sha256.digest(bytes)
    await server.container.cradle.blobs.put(hash, bytes.length, bytes)
    digest = base58btc.encode(hash.bytes)
  })
  afterAll(async () => {
    await server.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('get streams a range to stdout', async () => {
    const { code, stdout } = await strata(['get', digest, '--range', '0-99', '--url', server.url])
    expect(code).toBe(0)
    expect(stdout.equals(bytes.subarray(0, 100))).toBe(true)
  })

  it('get writes the whole blob to a file, with the URL from STRATA_URL', async () => {
    const { code, stderr } = await strata(['get', digest, '-o', 'out.bin'], { STRATA_URL: server.url })
    expect(code).toBe(0)
    expect((await readFile(join(cwd, 'out.bin'))).equals(bytes)).toBe(true)
    expect(stderr).toContain('wrote 1000 bytes to out.bin')
  })

  it('get prints the server error and exits 1', async () => {
    const missing = base58btc.encode((await sha256.digest(Buffer.from('absent'))).bytes)
    const notFound = await strata(['get', missing, '--url', server.url])
    expect(notFound.code).toBe(1)
    expect(notFound.stderr).toMatch(/^strata: GET \/blob\/z\w+ failed: 404 NotFoundError: /)
    const bad = await strata(['get', 'not-a-digest', '--url', server.url, '-o', 'x.bin'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('400 InvalidDigestError')
    await expect(stat(join(cwd, 'x.bin'))).rejects.toThrow()
    const range = await strata(['get', digest, '--range', '5000-', '--url', server.url])
    expect(range.code).toBe(1)
    expect(range.stderr).toContain('416 RangeNotSatisfiableError')
    expect((await strata(['get', digest, '--range', 'x', '--url', server.url])).code).toBe(2)
  })

  it('get reports an unreachable server', async () => {
    const { code, stderr } = await strata(['get', digest, '--url', 'http://127.0.0.1:9'])
    expect(code).toBe(1)
    expect(stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/)
  })

  it('put hashes, allocates (token from <dataDir>/auth-token, space = node DID) and uploads', async () => {
    const file = randomBytes(3 * 1024 * 1024 + 17)
    await writeFile(join(cwd, 'upload.bin'), file)
    const env = { STRATA_STORAGE_DATA_DIR: dataDir }
    const { code, stdout, stderr } = await strata(['put', 'upload.bin', '--url', server.url], env)
    expect(stderr).toMatch(/uploaded 3\.0 MiB in/)
    expect(code).toBe(0)
    const hash = await sha256.digest(file)
    const z = base58btc.encode(hash.bytes)
    expect(stdout.toString().trim().split('\n')).toEqual([z, `${server.url}/blob/${z}`])
    const stored = await server.container.cradle.blobs.get(hash)
    const chunks: Uint8Array[] = []
    for await (const chunk of stored.body) chunks.push(chunk)
    expect(Buffer.concat(chunks).equals(file)).toBe(true)
    const allocation = await server.container.cradle.allocations.get(hash, server.identity.did)
    expect(allocation.blob.size).toBe(file.length)

    const again = await strata(['put', 'upload.bin', '--url', server.url], env)
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('already stored')
    expect(again.stdout.toString()).toContain(z)
  })

  it('put with a wrong token exits 1 with the server error; without any token exits 2', async () => {
    await writeFile(join(cwd, 'small.txt'), 'hello')
    const wrong = await strata([
      'put',
      'small.txt',
      '--url',
      server.url,
      '--token',
      'wrong-token-wrong-token',
    ])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('POST /allocations failed: 401 Unauthorized')
    const none = await strata(['put', 'small.txt', '--url', server.url])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('no auth token')
    const explicit = await strata(['put', 'small.txt', '--url', server.url, '--space', 'not-a-did'], {
      STRATA_TOKEN: server.container.cradle.authToken,
    })
    expect(explicit.code).toBe(1)
    expect(explicit.stderr).toContain('400 BadRequest: space: expected a DID')
  })
})

describe('progress', () => {
  it('draws a bar on a TTY for large transfers, else only the final line', async () => {
    const { createProgress } = await import('../../src/cli/progress.js')
    const { PassThrough } = await import('node:stream')
    const run = (isTTY: boolean) => {
      let text = ''
      const stderr = Object.assign(new PassThrough(), { isTTY, columns: 100 })
      stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString()
      })
      const io = { stdout: new PassThrough(), stderr, env: {}, cwd }
      const progress = createProgress(io, 'uploading', 16 * 1024 * 1024, 'uploaded')
      for (let i = 0; i < 16; i++) progress.add(1024 * 1024)
      progress.done()
      return new Promise<string>((resolve) => setImmediate(() => resolve(text)))
    }
    const tty = await run(true)
    expect(tty).toMatch(/\ruploading 100% \[#+\] 16\.0 MiB\/16\.0 MiB/)
    expect(tty).toMatch(/uploaded 16\.0 MiB in [\d.]+ s/)
    const plain = await run(false)
    expect(plain).not.toContain('\r')
    expect(plain).toMatch(/^uploaded 16\.0 MiB in [\d.]+ s \([\d.]+ \w+\/s\)\n$/)
  })
})
