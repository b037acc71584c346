/**
 * Bad `STRATA_*` values through the real CLI (the BUILT `bin/strata.js`): `serve` / `config check`
 * exit 2 with exactly one issue line naming the key and its variable, never a
 * stack trace, and nothing is created in the data dir. Complements `config.test.ts` (the same
 * checks on config files, in process) and `cli.test.ts` (one env row per command).
 */
import { execFile, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'strata.js')

beforeAll(() => {
  if (existsSync(join(root, 'dist', 'cli', 'index.js'))) return
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
})

/** Runs `strata …args` in `cwd` with only `env` as `STRATA_*` variables; answers exit code and stderr. */
function strata(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('STRATA_')))
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { cwd, env: { ...clean, ...env }, timeout: 60_000 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    )
  })
}

const INTEGER = (min: number, max: number) => `expected an integer from ${min} to ${max}`

/**
 * `STRATA_*` variable, bad value → the key named and the start of its message; run with `serve`
 * (which would create the data dir: proof it validates first) or the faster `config check`.
 */
const BAD: ReadonlyArray<
  [variable: string, value: string, key: string, message: string, command: 'serve' | 'check']
> = [
  ['STRATA_SERVER_PORT', '-1', 'server.port', INTEGER(0, 65_535), 'serve'],
  ['STRATA_SERVER_PORT', '0x50', 'server.port', INTEGER(0, 65_535), 'check'],
  ['STRATA_SERVER_PORT', '1e400', 'server.port', INTEGER(0, 65_535), 'check'],
  [
    'STRATA_SERVER_MAX_BLOB_SIZE',
    '9007199254740993',
    'server.maxBlobSize',
    INTEGER(1, Number.MAX_SAFE_INTEGER),
    'check',
  ],
  ['STRATA_SERVER_MAX_BLOB_SIZE', '4GB', 'server.maxBlobSize', INTEGER(1, Number.MAX_SAFE_INTEGER), 'check'],
  ['STRATA_SERVER_PRESIGN_EXPIRES_IN', '604801', 'server.presignExpiresIn', INTEGER(1, 604_800), 'check'],
  [
    'STRATA_SERVER_AUTH_TOKEN',
    'short',
    'server.authToken',
    'expected a token of at least 16 characters',
    'serve',
  ],
  ['STRATA_SERVER_PUBLIC_URL', 'ftp://host', 'server.publicUrl', 'expected a URL', 'check'],
  [
    'STRATA_LOG_LEVEL',
    'loud',
    'log.level',
    'expected one of fatal, error, warn, info, debug, trace, silent',
    'check',
  ],
  ['STRATA_STORAGE_BACKEND', 'disk', 'storage.backend', 'expected one of memory, filesystem, s3', 'serve'],
  ['STRATA_STORAGE_FSYNC', 'maybe', 'storage.fsync', 'expected true or false', 'check'],
  [
    'STRATA_STORAGE_S3_ENDPOINT',
    'http://h:9000/bucket',
    'storage.s3.endpoint',
    'expected a URL without a path',
    'check',
  ],
  ['STRATA_STORAGE_S3_BUCKET_PREFIX', 'Strata_', 'storage.s3.bucketPrefix', 'expected lowercase', 'check'],
  [
    'STRATA_JOURNAL_ROTATE_INTERVAL',
    '2147483648',
    'journal.rotateInterval',
    INTEGER(0, 2 ** 31 - 1),
    'serve',
  ],
]

describe('bad STRATA_* values through the real CLI', () => {
  it.concurrent.each(BAD)(
    '%s=%j → exit 2, one line naming %s; nothing created',
    async (variable, value, key, message, command) => {
      const cwd = await mkdtemp(join(tmpdir(), 'strata-bad-config-'))
      try {
        const { code, stdout, stderr } = await strata(
          command === 'serve' ? ['serve'] : ['config', 'check'],
          cwd,
          { [variable]: value, STRATA_STORAGE_DATA_DIR: join(cwd, 'data') },
        )
        expect(code).toBe(2)
        expect(stdout).toBe('')
        const [title, issue, ...rest] = stderr.trimEnd().split('\n')
        expect(title).toBe('strata: invalid configuration:')
        expect(issue?.startsWith(`  ${key}: ${message}`), issue).toBe(true)
        expect(issue?.endsWith(`(from ${variable})`), issue).toBe(true)
        expect(rest).toEqual([])
        // The value is never echoed back (it may be a secret).
        if (value.length > 3) expect(issue).not.toContain(value)
        expect(await readdir(cwd)).toEqual([])
      } finally {
        await rm(cwd, { recursive: true, force: true })
      }
    },
  )
})
