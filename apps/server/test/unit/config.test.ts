import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ConfigError,
  configEnvNames,
  configLeaves,
  DEFAULT_MAX_BLOB_SIZE,
  type LoadConfigOptions,
  loadConfig,
} from '../../src/config/index.js'

let cwd: string

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'strata-config-'))
})
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true })
})

const writeJson = (name: string, value: unknown) => writeFile(join(cwd, name), JSON.stringify(value))

/** The issues of a load that must fail. */
async function issuesOf(options: LoadConfigOptions): Promise<string[]> {
  const error = await loadConfig({ cwd, env: {}, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConfigError)
  const { issues, message } = error as ConfigError
  for (const issue of issues) expect(message).toContain(issue)
  expect(message).not.toMatch(/\n\s+at /) // no stack trace in the message
  return issues
}

describe('defaults', () => {
  it('needs no file and no environment', async () => {
    const { config, file, env } = await loadConfig({ cwd, env: {} })
    expect(file).toBeUndefined()
    expect(env).toEqual([])
    expect(config).toEqual({
      server: {
        host: '127.0.0.1',
        port: 3000,
        maxBlobSize: DEFAULT_MAX_BLOB_SIZE,
        presignExpiresIn: 900,
        idleTimeoutMs: 60_000,
        headersTimeoutMs: 10_000,
        maxInflightUploadBytes: 64 * 1024 ** 3,
        diskReserveBytes: 1024 ** 3,
        maxRanges: 16,
        maxResponseBufferBytes: 64 * 1024 ** 2,
        sendTimeoutMs: 30_000,
        pressuredSendTimeoutMs: 5_000,
        cors: { writeOrigins: [] },
      },
      log: { level: 'info' },
      storage: {
        backend: 'filesystem',
        layout: 'strata',
        dataDir: join(cwd, 'data'),
        fsync: false,
        allowNewIdentity: false,
        s3: {
          region: 'us-east-1',
          bucketPrefix: 'strata-',
          pathStyle: true,
          requestTimeoutMs: 30_000,
          maxBufferedBytes: 64 * 1024 * 1024,
          abortIncompleteUploadsAfterMs: 86_400_000,
        },
      },
      identity: {},
      journal: { maxBatchSize: 100 * 1024 * 1024, rotateInterval: 12 * 60 * 60 * 1000 },
      gc: { graceMs: 3_600_000, intervalMs: 0, targetBytes: 0, leaseMs: 60_000 },
    })
    expect(DEFAULT_MAX_BLOB_SIZE).toBe(4_261_412_864)
  })

  it('reads ./strata.config.json when present', async () => {
    await writeJson('strata.config.json', { server: { port: 4000 } })
    const { config, file } = await loadConfig({ cwd, env: {} })
    expect(file).toBe(join(cwd, 'strata.config.json'))
    expect(config.server.port).toBe(4000)
  })
})

describe('precedence: defaults < file < environment', () => {
  it('lets the environment override the file, key by key', async () => {
    await writeJson('custom.json', {
      server: { port: 4000, host: '0.0.0.0' },
      storage: { backend: 'memory', dataDir: 'var/strata' },
    })
    const { config, env } = await loadConfig({
      cwd,
      file: 'custom.json',
      env: { STRATA_SERVER_PORT: '5000', STRATA_LOG_LEVEL: 'debug', UNRELATED: 'x' },
    })
    expect(config.server).toMatchObject({ port: 5000, host: '0.0.0.0' })
    expect(config.log.level).toBe('debug')
    expect(config.storage.backend).toBe('memory')
    expect(config.storage.dataDir).toBe(join(cwd, 'var/strata'))
    expect(env).toEqual(['STRATA_SERVER_PORT', 'STRATA_LOG_LEVEL'])
  })

  it('takes the file from STRATA_CONFIG when --config is not given', async () => {
    await writeJson('from-env.json', { server: { port: 4100 } })
    await writeJson('strata.config.json', { server: { port: 4000 } })
    const { config } = await loadConfig({ cwd, env: { STRATA_CONFIG: 'from-env.json' } })
    expect(config.server.port).toBe(4100)
  })

  it('ignores empty variables and unrelated STRATA_* names', async () => {
    const { config } = await loadConfig({
      cwd,
      env: { STRATA_SERVER_PORT: '', STRATA_TEST_S3_ENDPOINT: 'http://x', STRATA_STORAGE_BACKEND: ' ' },
    })
    expect(config.server.port).toBe(3000)
    expect(config.storage.backend).toBe('filesystem')
  })
})

describe('environment variables', () => {
  it('are generated from the schema paths', () => {
    const names = configEnvNames()
    for (const name of [
      'STRATA_SERVER_HOST',
      'STRATA_SERVER_PORT',
      'STRATA_SERVER_PUBLIC_URL',
      'STRATA_SERVER_MAX_BLOB_SIZE',
      'STRATA_SERVER_PRESIGN_EXPIRES_IN',
      'STRATA_SERVER_AUTH_TOKEN',
      'STRATA_LOG_LEVEL',
      'STRATA_STORAGE_BACKEND',
      'STRATA_STORAGE_DATA_DIR',
      'STRATA_STORAGE_FSYNC',
      'STRATA_STORAGE_LAYOUT',
      'STRATA_IDENTITY_KEY_FILE',
      'STRATA_STORAGE_S3_ENDPOINT',
      'STRATA_STORAGE_S3_REGION',
      'STRATA_STORAGE_S3_ACCESS_KEY',
      'STRATA_STORAGE_S3_SECRET_KEY',
      'STRATA_STORAGE_S3_BUCKET_PREFIX',
      'STRATA_STORAGE_S3_PATH_STYLE',
      'STRATA_STORAGE_S3_REQUEST_TIMEOUT_MS',
      'STRATA_JOURNAL_MAX_BATCH_SIZE',
      'STRATA_JOURNAL_ROTATE_INTERVAL',
      'STRATA_GC_GRACE_MS',
      'STRATA_GC_INTERVAL_MS',
      'STRATA_GC_TARGET_BYTES',
      'STRATA_GC_LEASE_MS',
    ]) {
      expect(names).toContain(name)
    }
    expect(new Set(names).size).toBe(names.length)
    const s3 = configLeaves().find((leaf) => leaf.key === 'storage.s3.endpoint')
    expect(s3?.env).toBe('STRATA_STORAGE_S3_ENDPOINT')
  })

  it('coerce numbers and booleans', async () => {
    const { config } = await loadConfig({
      cwd,
      env: {
        STRATA_SERVER_PORT: ' 8080 ',
        STRATA_SERVER_MAX_BLOB_SIZE: '1e6',
        STRATA_STORAGE_FSYNC: 'TRUE',
        STRATA_STORAGE_S3_PATH_STYLE: 'no',
        STRATA_JOURNAL_ROTATE_INTERVAL: '0',
        STRATA_SERVER_HOST: '0.0.0.0',
        STRATA_GC_GRACE_MS: '600000',
        STRATA_GC_INTERVAL_MS: '3600000',
        STRATA_GC_TARGET_BYTES: '1e12',
      },
    })
    expect(config.gc).toEqual({ graceMs: 600_000, intervalMs: 3_600_000, targetBytes: 1e12, leaseMs: 60_000 })
    expect(config.server.port).toBe(8080)
    expect(config.server.maxBlobSize).toBe(1_000_000)
    expect(config.storage.fsync).toBe(true)
    expect(config.storage.s3.pathStyle).toBe(false)
    expect(config.journal.rotateInterval).toBe(0)
    expect(config.server.host).toBe('0.0.0.0')
  })

  it('that do not coerce are reported with their variable', async () => {
    const issues = await issuesOf({ env: { STRATA_SERVER_PORT: 'http', STRATA_STORAGE_FSYNC: 'maybe' } })
    expect(issues).toEqual([
      'server.port: expected an integer from 0 to 65535 (from STRATA_SERVER_PORT)',
      'storage.fsync: expected true or false (from STRATA_STORAGE_FSYNC)',
    ])
  })
})

describe('invalid values: one line per bad key', () => {
  it.each([
    [{ server: { port: 70_000 } }, 'server.port: expected an integer from 0 to 65535'],
    [{ server: { port: 'x' } }, 'server.port: expected an integer from 0 to 65535'],
    [{ server: { port: 1.5 } }, 'server.port: expected an integer from 0 to 65535'],
    [
      { server: { maxBlobSize: 0 } },
      `server.maxBlobSize: expected an integer from 1 to ${Number.MAX_SAFE_INTEGER}`,
    ],
    [{ server: { publicUrl: 'not a url' } }, 'server.publicUrl: expected a URL'],
    [{ server: { authToken: 'short' } }, 'server.authToken: expected a token of at least 16 characters'],
    [{ server: 5 }, 'server: expected an object, got a number'],
    [{ log: { level: 'loud' } }, 'log.level: expected one of fatal, error, warn, info, debug, trace, silent'],
    [{ storage: { backend: 'disk' } }, 'storage.backend: expected one of memory, filesystem, s3'],
    [{ storage: { fsync: 'yes' } }, 'storage.fsync: expected true or false'],
    [{ storage: { dataDir: '' } }, 'storage.dataDir: expected a directory path'],
    [{ storage: { s3: { endpoint: 'ftp://x' } } }, 'storage.s3.endpoint: expected a URL'],
    [
      { storage: { s3: { endpoint: 'http://h:9000/bucket' } } },
      'storage.s3.endpoint: expected a URL without a path, query or fragment (e.g. http://127.0.0.1:9000)',
    ],
    [{ storage: { s3: { bucketPrefix: 'Strata_' } } }, 'storage.s3.bucketPrefix: expected lowercase'],
    [{ journal: { rotateInterval: -1 } }, 'journal.rotateInterval: expected an integer from 0 to 2147483647'],
    [{ gc: { graceMs: -1 } }, `gc.graceMs: expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}`],
    [{ gc: { intervalMs: 1.5 } }, 'gc.intervalMs: expected an integer from 0 to 2147483647'],
    [{ gc: { leaseMs: 100 } }, 'gc.leaseMs: expected an integer from 3000 to 3600000'],
    [
      { gc: { targetBytes: 'big' } },
      `gc.targetBytes: expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}`,
    ],
    [{ gc: { interval: 5 } }, 'gc.interval: unknown key'],
    [{ serverr: {} }, 'serverr: unknown key'],
    [{ storage: { s3: { endpiont: 'http://x' } } }, 'storage.s3.endpiont: unknown key'],
  ])('%j', async (file, expected) => {
    await writeJson('strata.config.json', file)
    const issues = await issuesOf({})
    expect(issues).toHaveLength(1)
    expect(issues[0]?.startsWith(expected)).toBe(true)
  })

  it('lists every bad key, unknown keys included', async () => {
    await writeJson('strata.config.json', {
      server: { port: -1, host: '', extra: 1, other: 2 },
      storage: { backend: 'tape' },
      nope: true,
    })
    const issues = await issuesOf({})
    expect(issues.sort()).toEqual(
      [
        'server.port: expected an integer from 0 to 65535',
        'server.host: expected a host name or IP address',
        'server.extra: unknown key',
        'server.other: unknown key',
        'storage.backend: expected one of memory, filesystem, s3',
        'nope: unknown key',
      ].sort(),
    )
  })

  it('names each missing S3 key when the backend is s3', async () => {
    const issues = await issuesOf({ env: { STRATA_STORAGE_BACKEND: 's3' } })
    expect(issues).toEqual([
      'storage.s3.endpoint: required when storage.backend is s3',
      'storage.s3.accessKey: required when storage.backend is s3',
      'storage.s3.secretKey: required when storage.backend is s3',
    ])
    const partial = await issuesOf({
      env: { STRATA_STORAGE_BACKEND: 's3', STRATA_STORAGE_S3_ENDPOINT: 'http://127.0.0.1:9000' },
    })
    expect(partial).toEqual([
      'storage.s3.accessKey: required when storage.backend is s3',
      'storage.s3.secretKey: required when storage.backend is s3',
    ])
  })

  it('accepts a complete s3 configuration, and s3 keys with another backend', async () => {
    const env = {
      STRATA_STORAGE_BACKEND: 's3',
      STRATA_STORAGE_S3_ENDPOINT: 'https://s3.example.com',
      STRATA_STORAGE_S3_ACCESS_KEY: 'a',
      STRATA_STORAGE_S3_SECRET_KEY: 'b',
    }
    const { config } = await loadConfig({ cwd, env })
    expect(config.storage.s3).toMatchObject({ endpoint: 'https://s3.example.com', accessKey: 'a' })
    const other = await loadConfig({ cwd, env: { ...env, STRATA_STORAGE_BACKEND: 'memory' } })
    expect(other.config.storage.backend).toBe('memory')
  })

  it('takes storage.layout piri with a key file, resolved against cwd, from the environment', async () => {
    const env = { STRATA_STORAGE_LAYOUT: 'piri', STRATA_IDENTITY_KEY_FILE: 'keys/service.pem' }
    const { config } = await loadConfig({ cwd, env })
    expect(config.storage.layout).toBe('piri')
    expect(config.identity.keyFile).toBe(join(cwd, 'keys', 'service.pem'))
  })

  it('refuses storage.layout piri without a key file or on memory, and unknown layouts', async () => {
    expect(await issuesOf({ env: { STRATA_STORAGE_LAYOUT: 'piri' } })).toEqual([
      "identity.keyFile: required when storage.layout is piri (a Piri node's identity is its key file)",
    ])
    const memory = { STRATA_STORAGE_LAYOUT: 'piri', STRATA_STORAGE_BACKEND: 'memory' }
    expect(await issuesOf({ env: { ...memory, STRATA_IDENTITY_KEY_FILE: 'k.pem' } })).toEqual([
      'storage.layout: piri needs storage.backend filesystem or s3 (memory has no layout) (from STRATA_STORAGE_LAYOUT)',
    ])
    expect(await issuesOf({ env: { STRATA_STORAGE_LAYOUT: 'kubo' } })).toEqual([
      'storage.layout: expected one of strata, piri (from STRATA_STORAGE_LAYOUT)',
    ])
  })

  it('never echoes a value (it may be a secret)', async () => {
    const issues = await issuesOf({ env: { STRATA_SERVER_AUTH_TOKEN: 'sekrit' } })
    expect(issues).toEqual([
      'server.authToken: expected a token of at least 16 characters (from STRATA_SERVER_AUTH_TOKEN)',
    ])
  })
})

describe('file problems', () => {
  it('reports invalid JSON with its line and column', async () => {
    await writeFile(join(cwd, 'strata.config.json'), '{\n  "server": {\n    "port": 3000,\n  }\n}\n')
    const issues = await issuesOf({})
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatch(/^strata\.config\.json: invalid JSON at line 4, column 3: /)
  })

  it('reports truncated JSON', async () => {
    await writeFile(join(cwd, 'strata.config.json'), '{\n  "server": {')
    const [issue] = await issuesOf({})
    expect(issue).toMatch(/^strata\.config\.json: invalid JSON/)
  })

  it('refuses a top level that is not an object', async () => {
    await writeFile(join(cwd, 'strata.config.json'), '[1, 2]')
    expect(await issuesOf({})).toEqual(['strata.config.json: expected a JSON object at the top level'])
  })

  it('refuses a named file that does not exist, or is a directory', async () => {
    expect(await issuesOf({ file: 'missing.json' })).toEqual(['missing.json: file not found'])
    expect(await issuesOf({ env: { STRATA_CONFIG: 'gone.json' } })).toEqual(['gone.json: file not found'])
    expect(await issuesOf({ file: '.' })).toEqual([`${cwd}: is a directory`])
  })
})
