// The S3 server for bench suites: the `STRATA_TEST_S3_*` settings from the environment, or else the
// local Ceph RGW of scripts/s3-server.sh, started here (and stopped again by `release()` only if it
// was started here). Never throws: when no S3 server can be had, answers `{ error }`.
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 's3-server.sh')

const fromEnv = (env) =>
  env.STRATA_TEST_S3_ENDPOINT && env.STRATA_TEST_S3_ACCESS_KEY && env.STRATA_TEST_S3_SECRET_KEY
    ? {
        endpoint: env.STRATA_TEST_S3_ENDPOINT,
        accessKey: env.STRATA_TEST_S3_ACCESS_KEY,
        secretKey: env.STRATA_TEST_S3_SECRET_KEY,
        region: env.STRATA_TEST_S3_REGION || 'us-east-1',
      }
    : undefined

/** `export NAME=value` lines as an object. */
function parseExports(text) {
  const env = {}
  for (const line of text.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (match) env[match[1]] = match[2].replace(/^'(.*)'$/, '$1')
  }
  return env
}

/**
 * Answers `{ settings, started, release() }` or `{ error }`. `release()` stops the server only when
 * this call started it (not when it came from the environment or was already running).
 */
export async function acquireS3({ log }) {
  const given = fromEnv(process.env)
  if (given) {
    log(`S3 server from STRATA_TEST_S3_* (${given.endpoint})`)
    return { settings: given, started: false, release: async () => {} }
  }
  let started = false
  try {
    const running = await run('bash', [SCRIPT, 'status'], { timeout: 30_000 }).then(
      () => true,
      () => false,
    )
    const command = running ? 'env' : 'start'
    if (!running)
      log('starting the local S3 server (scripts/s3-server.sh start; installs Ceph with apt if missing)')
    // installing the packages on a fresh machine takes about a minute
    const { stdout } = await run('bash', [SCRIPT, command], { timeout: 600_000, maxBuffer: 1 << 20 })
    started = !running
    const settings = fromEnv(parseExports(stdout))
    if (!settings) throw new Error(`no STRATA_TEST_S3_* lines from s3-server.sh ${command}`)
    log(`S3 server at ${settings.endpoint}${started ? ' (started for this run)' : ' (already running)'}`)
    const release = async () => {
      if (!started) return
      log('stopping the local S3 server')
      await run('bash', [SCRIPT, 'stop'], { timeout: 120_000 }).catch((error) =>
        log(`s3-server.sh stop failed: ${error.stderr || error.message}`),
      )
    }
    return { settings, started, release }
  } catch (error) {
    // a failed start cleans up after itself (s3-server.sh removes what it started); a started
    // server whose settings could not be read is stopped here
    if (started) await run('bash', [SCRIPT, 'stop'], { timeout: 120_000 }).catch(() => {})
    const lines = String(error.stderr ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
    const reason = lines.filter((line) => /error/i.test(line)).at(-1) ?? lines.at(-1)
    return { error: reason ?? String(error.message).split('\n')[0] }
  }
}
