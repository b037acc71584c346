import { readFile, stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import { ConfigError } from '../errors.js'
import { CONFIG_FILE_ENV, configFromEnv } from './env.js'
import { formatIssues } from './issues.js'
import { type Config, configSchema } from './schema.js'

/** The config file read when neither `file` nor `STRATA_CONFIG` names one, if it exists. */
export const DEFAULT_CONFIG_FILE = 'strata.config.json'

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * The config file (`--config`), relative to `cwd`; it must exist. Default: `STRATA_CONFIG` from
   * `env` (must exist too), else `<cwd>/strata.config.json` when present, else no file.
   */
  file?: string
  /** The environment (default `process.env`); its `STRATA_*` variables override the file. */
  env?: Readonly<Record<string, string | undefined>>
  /** Directory relative paths are resolved against (default `process.cwd()`). */
  cwd?: string
}

/** What {@link loadConfig} answers. */
export interface LoadedConfig {
  /** The validated configuration; `storage.dataDir` and `identity.keyFile` are absolute. */
  config: Config
  /** The absolute path of the config file read, when one was. */
  file?: string
  /** The `STRATA_*` variables that set a key, in schema order. */
  env: string[]
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** `a` overlaid with `b`, recursively for plain objects (later wins). */
function merge(a: Json, b: Json): Json {
  const out: Json = { ...a }
  for (const [key, value] of Object.entries(b)) {
    const current = out[key]
    out[key] = isObject(current) && isObject(value) ? merge(current, value) : value
  }
  return out
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position)
  const line = before.split('\n').length
  return { line, column: position - before.lastIndexOf('\n') }
}

function jsonProblem(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const position = /at position (\d+)/.exec(message)
  const reason = message
    .replace(/\s*in JSON at position \d+.*$/s, '')
    .replace(/^JSON\.parse: /, '')
    .trim()
  if (position?.[1] !== undefined) {
    const { line, column } = lineColumn(text, Number(position[1]))
    return `invalid JSON at line ${line}, column ${column}: ${reason}`
  }
  if (/unexpected end/i.test(message)) {
    const { line, column } = lineColumn(text, text.length)
    return `invalid JSON at line ${line}, column ${column}: ${reason}`
  }
  return `invalid JSON: ${reason}`
}

async function readConfigFile(path: string, shown: string): Promise<Json> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot read (${code ?? String(error)})`
    throw new ConfigError([`${shown}: ${why}`], { cause: error })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    throw new ConfigError([`${shown}: ${jsonProblem(text, error)}`], { cause: error })
  }
  if (!isObject(parsed)) throw new ConfigError([`${shown}: expected a JSON object at the top level`])
  return parsed
}

/** `file` relative to `cwd` when it lies below it, else absolute: the name used in messages. */
function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file)
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}

/** Which file to read, if any: the explicit one, `STRATA_CONFIG`, or the default when present. */
async function pickFile(options: LoadConfigOptions, cwd: string): Promise<string | undefined> {
  const named = options.file ?? (options.env ?? process.env)[CONFIG_FILE_ENV]
  if (named !== undefined && named.trim() !== '') return resolve(cwd, named)
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE)
  return (await exists(fallback)) ? fallback : undefined
}

/**
 * Loads the configuration: schema defaults, overlaid by the config file, overlaid by the
 * `STRATA_*` environment variables (see `configEnvNames()`; numbers and booleans are coerced,
 * empty variables ignored), then validated by `configSchema`. `storage.dataDir` and
 * `identity.keyFile` are resolved against `cwd`.
 * @throws {ConfigError} with one `<dotted.path>: <message>` line per bad key, or one
 *   `<file>: <message>` line when the file is missing (when named), unreadable, not JSON (with
 *   line and column) or not a JSON object.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  const file = await pickFile(options, cwd)
  const shown = file === undefined ? '' : displayPath(file, cwd)
  const fromFile = file === undefined ? {} : await readConfigFile(file, shown)
  const fromEnv = configFromEnv(env)
  const input = merge(fromFile, fromEnv.values)
  const result = configSchema.safeParse(input)
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, input, fromEnv.sources))
  const config = result.data
  config.storage.dataDir = resolve(cwd, config.storage.dataDir)
  if (config.identity.keyFile !== undefined) config.identity.keyFile = resolve(cwd, config.identity.keyFile)
  return {
    config,
    ...(file === undefined ? {} : { file }),
    env: [...fromEnv.sources.values()],
  }
}
