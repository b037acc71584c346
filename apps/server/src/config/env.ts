/**
 * The `STRATA_*` environment variables, generated from the schema's paths: each dotted path's
 * segments in SCREAMING_SNAKE case, joined by `_`, after `STRATA_`
 * (`storage.s3.endpoint` ↔ `STRATA_STORAGE_S3_ENDPOINT`, `server.maxBlobSize` ↔
 * `STRATA_SERVER_MAX_BLOB_SIZE`).
 * @packageDocumentation
 */
import type { z } from 'zod'
import { configSchema } from './schema.js'

/** Prefix of every configuration environment variable. */
export const ENV_PREFIX = 'STRATA_'

/** The environment variable naming a config file (when `--config` is not given). Not a schema key. */
export const CONFIG_FILE_ENV = 'STRATA_CONFIG'

/** What a configuration leaf holds, which decides how its environment value is coerced. */
export type LeafKind = 'string' | 'number' | 'boolean'

/** One configuration leaf: its dotted path, environment variable and kind. */
export interface ConfigLeaf {
  /** Path segments, e.g. `['storage', 's3', 'endpoint']`. */
  path: string[]
  /** Dotted path, e.g. `storage.s3.endpoint`. */
  key: string
  /** Environment variable, e.g. `STRATA_STORAGE_S3_ENDPOINT`. */
  env: string
  /** How the variable's value is coerced. */
  kind: LeafKind
}

interface Def {
  type: string
  shape?: Record<string, z.ZodType>
  innerType?: z.ZodType
  in?: z.ZodType
}

const defOf = (schema: z.ZodType): Def => schema.def as unknown as Def

/** Unwraps defaults, optionals and pipes down to the schema that holds the value's type. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema
  for (;;) {
    const def = defOf(current)
    if (def.innerType) current = def.innerType
    else if (def.type === 'pipe' && def.in) current = def.in
    else return current
  }
}

/** `maxBlobSize` → `MAX_BLOB_SIZE`. */
export function screamingSnake(segment: string): string {
  return segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
}

/** The environment variable of a path: `['storage', 's3', 'endpoint']` → `STRATA_STORAGE_S3_ENDPOINT`. */
export function envNameOf(path: readonly string[]): string {
  return ENV_PREFIX + path.map(screamingSnake).join('_')
}

function* walk(schema: z.ZodType, path: string[]): Generator<ConfigLeaf> {
  const inner = unwrap(schema)
  const def = defOf(inner)
  if (def.type === 'object' && def.shape) {
    for (const [name, child] of Object.entries(def.shape)) yield* walk(child, [...path, name])
    return
  }
  const kind: LeafKind = def.type === 'number' ? 'number' : def.type === 'boolean' ? 'boolean' : 'string'
  yield { path, key: path.join('.'), env: envNameOf(path), kind }
}

let leaves: readonly ConfigLeaf[] | undefined

/**
 * Every leaf of the configuration schema, in schema order (computed once, on first call).
 * @throws {Error} if two paths map to the same environment variable (a schema bug).
 */
export function configLeaves(): readonly ConfigLeaf[] {
  if (leaves) return leaves
  const found = [...walk(configSchema, [])]
  const seen = new Set<string>()
  for (const leaf of found) {
    if (seen.has(leaf.env)) throw new Error(`two configuration keys map to ${leaf.env}`)
    seen.add(leaf.env)
  }
  leaves = Object.freeze(found)
  return leaves
}

/** The `STRATA_*` variables that set configuration keys, in schema order (without `STRATA_CONFIG`). */
export function configEnvNames(): string[] {
  return configLeaves().map((leaf) => leaf.env)
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/
const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

/**
 * Coerces an environment string for a leaf: numbers in decimal notation, booleans from
 * `true/false/1/0/yes/no/on/off` (any case). A value that does not coerce is returned unchanged,
 * so the schema reports it (`expected an integer …`, `expected true or false`).
 */
export function coerceEnvValue(kind: LeafKind, raw: string): unknown {
  const value = raw.trim()
  if (kind === 'number') return NUMBER.test(value) ? Number(value) : raw
  if (kind === 'boolean') {
    const lower = value.toLowerCase()
    if (TRUE.has(lower)) return true
    if (FALSE.has(lower)) return false
    return raw
  }
  return raw
}

/** What {@link configFromEnv} found. */
export interface EnvConfig {
  /** A partial configuration object built from the set variables. */
  values: Record<string, unknown>
  /** Dotted key → the variable that set it (for error messages). */
  sources: Map<string, string>
}

/**
 * Builds a partial configuration from the `STRATA_*` variables in `env`. Unset and empty variables
 * are ignored (so `STRATA_X=` in a compose file means "not set"); other `STRATA_*` names (e.g.
 * `STRATA_TEST_*`) are ignored too.
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): EnvConfig {
  const values: Record<string, unknown> = {}
  const sources = new Map<string, string>()
  for (const leaf of configLeaves()) {
    const raw = env[leaf.env]
    if (raw === undefined || raw.trim() === '') continue
    let target = values
    for (const segment of leaf.path.slice(0, -1)) {
      const next = target[segment]
      if (typeof next === 'object' && next !== null) target = next as Record<string, unknown>
      else {
        const created: Record<string, unknown> = {}
        target[segment] = created
        target = created
      }
    }
    target[leaf.path[leaf.path.length - 1] as string] = coerceEnvValue(leaf.kind, raw)
    sources.set(leaf.key, leaf.env)
  }
  return { values, sources }
}
