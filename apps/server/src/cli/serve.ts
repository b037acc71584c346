import { pino } from 'pino'
import { startServer } from '../server.js'
import { type CliIo, loadCliConfig } from './io.js'

/** The signals `strata serve` shuts down on. */
export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const

/**
 * `strata serve [--config f]`: loads the configuration, starts the server (JSON log lines on
 * stdout) and runs until SIGINT or SIGTERM, then shuts down gracefully (in-flight requests get up
 * to 10 s) and resolves 0. A second signal exits at once with 130.
 * @throws {CliError} exit 2 with one line per issue on an invalid configuration.
 */
export async function serve(io: CliIo, configFile: string | undefined): Promise<number> {
  const { config, file } = await loadCliConfig(io, configFile)
  const logger = pino({ level: config.log.level, name: 'strata' })
  if (file !== undefined) logger.info({ file }, 'configuration file')
  const running = await startServer({ config, logger })
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
