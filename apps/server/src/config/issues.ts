import type { z } from 'zod'

/** The exit code `strata serve` uses when the configuration is invalid. */
export const CONFIG_ERROR_EXIT_CODE = 2

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<PropertyKey, unknown>)[segment]
  }
  return current
}

/**
 * Turns zod issues into `<dotted.path>: <message>` lines, one per bad key: an
 * `unrecognized_keys` issue becomes one `unknown key` line per key; a value that should be an
 * object says so. `sources` maps dotted keys set from the environment to their variable, appended
 * as `(from STRATA_…)`. Values are never echoed (they may be secrets).
 * @param input what was parsed, to describe a wrongly typed object.
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  sources: ReadonlyMap<string, string> = new Map(),
): string[] {
  const lines: string[] = []
  const seen = new Set<string>()
  const add = (path: readonly PropertyKey[], message: string) => {
    const key = path.map(String).join('.') || '(root)'
    if (seen.has(key)) return // one line per key, the first problem found
    seen.add(key)
    const source = sources.get(key)
    lines.push(`${key}: ${message}${source ? ` (from ${source})` : ''}`)
  }
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...issue.path, key], 'unknown key')
    } else if (issue.code === 'invalid_type' && issue.expected === 'object') {
      add(issue.path, `expected an object, got ${describeType(valueAt(input, issue.path))}`)
    } else {
      add(issue.path, issue.message)
    }
  }
  return lines
}
