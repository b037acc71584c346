/**
 * The DI container of the strata server: the stores of the configured backend, the local-only
 * stores, their lifecycle and a readiness check.
 *
 * ```ts
 * import { createContainer } from './container/index.js'
 * const app = createContainer(config)
 * await app.start()
 * const { blobs, allocations, readiness } = app.cradle
 * // ...
 * await app.stop()
 * ```
 * @packageDocumentation
 */

export { AUTH_TOKEN_FILE, LEVEL_DIRS, LOCAL_DIRS } from '../data-dir.js'
export { ShutdownError, StartupError } from '../errors.js'
export { type AuthTokenSource, generateAuthToken } from './auth-token.js'
export {
  type BackendSet,
  STORE_NAMES,
  type StoreName,
} from './backends.js'
export {
  type Cradle,
  type CreateContainerOptions,
  createContainer,
  type StrataContainer,
} from './container.js'
export type { Resource } from './lifecycle.js'
export {
  DEFAULT_READINESS_TIMEOUT_MS,
  type ProbeResult,
  READINESS_PROBE_KEY,
  type Readiness,
  type ReadinessOptions,
  type ReadinessReport,
} from './readiness.js'
