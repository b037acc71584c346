import type { Config } from '../config/index.js'
import { type CliIo, loadCliConfig, println } from './io.js'

/** What secrets are replaced with in printed configurations. */
export const REDACTED = '[redacted]'

/** A deep copy of `config` with its secrets (`server.authToken`, `storage.s3.secretKey`) redacted. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config)
  if (copy.server.authToken !== undefined) copy.server.authToken = REDACTED
  if (copy.storage.s3.secretKey !== undefined) copy.storage.s3.secretKey = REDACTED
  return copy
}

/**
 * `strata config check [--config f]`: prints the resolved configuration as JSON on stdout, secrets
 * redacted, and on stderr where it came from.
 * @throws {CliError} exit 2 with one line per issue when it is invalid.
 */
export async function configCheck(io: CliIo, file: string | undefined): Promise<number> {
  const loaded = await loadCliConfig(io, file)
  println(io.stdout, JSON.stringify(redactConfig(loaded.config), null, 2))
  const from = [loaded.file ?? 'no config file', ...loaded.env].join(', ')
  println(io.stderr, `configuration OK (defaults < ${from})`)
  return 0
}
