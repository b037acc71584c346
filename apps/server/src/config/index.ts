/**
 * The configuration of the strata server: one zod schema, loaded from a JSON file and `STRATA_*`
 * environment variables (defaults < file < environment).
 *
 * ```ts
 * import { ConfigError, CONFIG_ERROR_EXIT_CODE, loadConfig } from './config/index.js'
 * try {
 *   const { config } = await loadConfig({ file: args.config })
 * } catch (error) {
 *   if (!(error instanceof ConfigError)) throw error
 *   console.error(error.message) // one `<dotted.path>: <message>` line per bad key
 *   process.exit(CONFIG_ERROR_EXIT_CODE)
 * }
 * ```
 * @packageDocumentation
 */

export { ConfigError } from '../errors.js'
export {
  CONFIG_FILE_ENV,
  type ConfigLeaf,
  coerceEnvValue,
  configEnvNames,
  configFromEnv,
  configLeaves,
  ENV_PREFIX,
  type EnvConfig,
  envNameOf,
  type LeafKind,
  screamingSnake,
} from './env.js'
export { CONFIG_ERROR_EXIT_CODE, formatIssues } from './issues.js'
export { DEFAULT_CONFIG_FILE, type LoadConfigOptions, type LoadedConfig, loadConfig } from './load.js'
export {
  BUCKET_SUFFIXES,
  type Config,
  type ConfigInput,
  configSchema,
  DEFAULT_MAX_BLOB_SIZE,
  LOG_LEVELS,
  MAX_BUCKET_PREFIX_LENGTH,
  REQUIRED_S3_KEYS,
  type S3Config,
  STORAGE_BACKENDS,
  type StorageBackend,
} from './schema.js'
