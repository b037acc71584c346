/**
 * A private S3 test cluster (Ceph RGW) for the fault tests: `scripts/s3-server.sh` run with its
 * own state dir, S3 port and monitor port, so its gateway can be stopped and started again while
 * the shared server (`/tmp/strata-s3`, port 7480) keeps serving the other test files.
 */
import { execFile, execFileSync } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { S3TestSettings } from '@strata/testkit'
import { freePort } from '@strata/testkit'
import { describe, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
const SCRIPT = join(ROOT, 'scripts', 's3-server.sh')
/** The commands `s3-server.sh install` provides (the script's own list). */
const COMMANDS = ['ceph', 'ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool']

/** A running private cluster. */
export interface PrivateCluster {
  /** Its settings, as `s3-server.sh start` exported them. */
  settings: S3TestSettings
  stateDir: string
  /** `s3-server.sh gateway-stop`: S3 goes down, the data stays in the OSD. */
  gatewayStop(): Promise<void>
  /** `s3-server.sh gateway-start`: resolves once the gateway answers. */
  gatewayStart(): Promise<void>
  /** `s3-server.sh stop`, then removes the lock file. Idempotent, never throws. */
  stop(): Promise<void>
}

/** Whether every Ceph command the script needs is installed (`s3-server.sh install` was run). */
export function cephInstalled(): boolean {
  try {
    execFileSync('bash', ['-c', `command -v ${COMMANDS.join(' ')}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * `describe` for suites that need the Ceph packages: runs `body` when they are installed; in CI
 * (`CI=true`) without them registers one failing test (a skipped fault suite in CI is a failure);
 * otherwise skips with one line saying how to install them.
 */
export function describeCeph(name: string, body: () => void): void {
  if (cephInstalled()) {
    describe(name, body)
    return
  }
  const how = 'bash scripts/s3-server.sh install'
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has the Ceph packages installed', () => {
        throw new Error(`ceph commands missing and CI=true: run ${how}`)
      })
    })
    return
  }
  console.warn(`fault S3 tests skipped (ceph packages missing); to run them: ${how}`)
  describe.skip(name, () => {
    it(`needs the ceph packages: ${how}`, () => {})
  })
}

/** Runs `s3-server.sh <command>` with the cluster's settings; answers its stdout. */
function script(command: string, env: Record<string, string>, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [SCRIPT, command],
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`s3-server.sh ${command} failed: ${error.message}\n${stderr}`))
        else resolve(stdout)
      },
    )
  })
}

/** The `export NAME=value` lines of `start` as a map. */
function parseExports(stdout: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (match?.[1] !== undefined && match[2] !== undefined) out[match[1]] = match[2]
  }
  return out
}

/**
 * Starts a private cluster in `stateDir` on two free loopback ports (ephemeral ones: outside the
 * 6800–7300 range the OSDs bind in). On failure the script has already cleaned up after itself.
 */
export async function startPrivateCluster(stateDir: string): Promise<PrivateCluster> {
  const env = {
    STRATA_S3_STATE_DIR: stateDir,
    STRATA_S3_PORT: String(await freePort()),
    STRATA_S3_MON_PORT: String(await freePort()),
    STRATA_S3_TIMEOUT: '60',
  }
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await script('stop', env).catch((error: unknown) => console.error(String(error)))
    await rm(`${stateDir}.lock`, { force: true })
  }
  let exported: Record<string, string>
  try {
    exported = parseExports(await script('start', env))
  } catch (error) {
    await stop()
    throw error
  }
  const settings: S3TestSettings = {
    endpoint: exported.STRATA_TEST_S3_ENDPOINT ?? '',
    accessKey: exported.STRATA_TEST_S3_ACCESS_KEY ?? '',
    secretKey: exported.STRATA_TEST_S3_SECRET_KEY ?? '',
    region: exported.STRATA_TEST_S3_REGION ?? 'us-east-1',
  }
  if (!settings.endpoint.endsWith(`:${env.STRATA_S3_PORT}`)) {
    await stop()
    throw new Error(`s3-server.sh start exported an unexpected endpoint: ${JSON.stringify(exported)}`)
  }
  return {
    settings,
    stateDir,
    gatewayStop: async () => void (await script('gateway-stop', env, 60_000)),
    gatewayStart: async () => void (await script('gateway-start', env, 60_000)),
    stop,
  }
}
