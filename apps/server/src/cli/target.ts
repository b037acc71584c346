import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from '../config/index.js'
import { AUTH_TOKEN_FILE } from '../data-dir.js'
import { baseUrlOf } from '../url.js'
import { CliError, type CliIo, loadCliConfig } from './io.js'

/** Where a client command talks to, and as whom. */
export interface Target {
  /** Base URL without a trailing `/`. */
  url: string
  /** The local configuration, when it had to be read. */
  config?: Config
}

/**
 * The server's base URL: `--url`, else `STRATA_URL`, else the local configuration's
 * `server.publicUrl`, else `http://<server.host>:<server.port>` (so with no configuration at all,
 * `http://127.0.0.1:3000`).
 * @throws {CliError} exit 2 when the local configuration must be read and is invalid.
 */
export async function resolveTarget(
  io: CliIo,
  url: string | undefined,
  configFile?: string,
): Promise<Target> {
  const given = url ?? io.env.STRATA_URL
  if (given !== undefined && given.trim() !== '') return { url: checkUrl(given) }
  const { config } = await loadCliConfig(io, configFile)
  const base = config.server.publicUrl ?? baseUrlOf(config.server.host, config.server.port)
  return { url: checkUrl(base), config }
}

function checkUrl(text: string): string {
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    throw new CliError(`not a URL: ${text}`, 2)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new CliError(`not an http(s) URL: ${text}`, 2)
  return parsed.href.replace(/\/+$/, '')
}

/**
 * The bearer token: `--token`, else `STRATA_TOKEN`, else the local configuration's
 * `server.authToken`, else `<storage.dataDir>/auth-token` (what the local server generated).
 * @throws {CliError} exit 2 when none is found.
 */
export async function resolveToken(
  io: CliIo,
  token: string | undefined,
  configFile: string | undefined,
  known?: Config,
): Promise<string> {
  const given = token ?? io.env.STRATA_TOKEN
  if (given !== undefined && given.trim() !== '') return given.trim()
  const config = known ?? (await loadCliConfig(io, configFile)).config
  if (config.server.authToken !== undefined) return config.server.authToken
  const path = join(config.storage.dataDir, AUTH_TOKEN_FILE)
  try {
    const found = (await readFile(path, 'utf8')).trim()
    if (found !== '') return found
  } catch {
    // reported below
  }
  throw new CliError(
    `no auth token: pass --token, set STRATA_TOKEN, or start the local server once (${path})`,
    2,
  )
}
