import { pino } from 'pino'
import { CliError, StartupError } from '../errors.js'
import { type RunningServer, startServer } from '../server.js'
import { type CliIo, loadCliConfig } from './io.js'

/** Errors that mean "fix the data directory, then start again": exit 2, one line. */
const REFUSALS = new Set(['UnsafeDataDirError', 'IdentityMissingError'])

/**
 * Starts the server; a refusal to trust the data directory (owner or mode of the data dir,
 * `auth-token` or `wallet/`; a lost identity) becomes a {@link CliError} with exit code 2 and its
 * one-line message.
 */
async function start(options: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  try {
    return await startServer(options)
  } catch (error) {
    const cause = error instanceof StartupError ? error.cause : error
    const name = (cause as { name?: unknown } | null)?.name
    if (typeof name === 'string' && REFUSALS.has(name)) throw new CliError((cause as Error).message, 2)
    throw error
  }
}

/** The signals `strata serve` shuts down on. */
export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const

/**
 * `strata serve [--config f]`: loads the configuration, starts the server (JSON log lines on
 * stdout) and runs until SIGINT or SIGTERM, then shuts down gracefully (in-flight requests get up
 * to 10 s) and resolves 0. A second signal exits at once with 130.
 * @throws {CliError} exit 2 with one line per issue on an invalid configuration, or one line when
 *   the data directory cannot be trusted (see `container/trusted-paths.ts`) or its identity is lost.
 */
export async function serve(io: CliIo, configFile: string | undefined): Promise<number> {
  const { config, file } = await loadCliConfig(io, configFile)
  const logger = pino({ level: config.log.level, name: 'strata' })
  if (file !== undefined) logger.info({ file }, 'configuration file')
  const running = await start({ config, logger })
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const name of SHUTDOWN_SIGNALS) process.once(name, () => resolve(name))
  })
  logger.info({ signal }, 'signal received')
  const force = () => {
    logger.warn('second signal: exiting now')
    process.exit(130)
  }
  for (const name of SHUTDOWN_SIGNALS) process.once(name, force)
  try {
    await running.close()
  } finally {
    for (const name of SHUTDOWN_SIGNALS) process.off(name, force)
  }
  return 0
}
