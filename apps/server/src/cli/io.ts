import { writeFile } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { CONFIG_ERROR_EXIT_CODE, ConfigError, type LoadedConfig, loadConfig } from '../config/index.js'
import { CliError } from '../errors.js'

export { CliError } from '../errors.js'

/** Where a CLI command reads its environment and writes its output (the process's, in `bin/strata.js`). */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean }
  stderr: Writable & { isTTY?: boolean; columns?: number }
  env: Readonly<Record<string, string | undefined>>
  cwd: string
}

/** The default {@link CliIo}: the current process. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }
}

/** A usage error: exit code 2. */
export const usageError = (message: string): CliError => new CliError(`${message} (see strata --help)`, 2)

/** Writes `text` plus a newline to a stream. */
export function println(stream: Writable, text = ''): void {
  stream.write(`${text}\n`)
}

/**
 * Loads the configuration as `loadConfig` does (`--config`, `STRATA_CONFIG`, `./strata.config.json`,
 * `STRATA_*`), turning a {@link ConfigError} into a {@link CliError} with exit code 2 whose details
 * are the issue lines.
 */
export async function loadCliConfig(io: CliIo, file: string | undefined): Promise<LoadedConfig> {
  try {
    return await loadConfig({ env: io.env, cwd: io.cwd, ...(file === undefined ? {} : { file }) })
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError('invalid configuration:', CONFIG_ERROR_EXIT_CODE, error.issues)
    throw error
  }
}

/**
 * Writes `text` into a new file readable by its owner only (0600), e.g. a private key; an existing
 * file is never overwritten.
 * @throws {CliError} exit 2 when `path` exists.
 */
export async function writeNewPrivateFile(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text, { flag: 'wx', mode: 0o600 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(`${path} exists; refusing to overwrite a key file`, 2)
    }
    throw error
  }
}
