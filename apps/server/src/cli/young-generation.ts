/**
 * The young generation `strata serve` runs with: V8 ≤ 12's sizing (Node 20 and 22) on every Node.
 *
 * A server streaming gigabytes makes one short-lived `Buffer` per socket read, part and block; what
 * bounds its memory is how soon V8 frees those backing stores. V8 frees a young `ArrayBuffer`'s
 * memory at a scavenge, and starts one early when the young generation's backing stores reach
 * twice the default semi-space (`Heap::AllocateExternalBackingStore`); V8 13 (Node 24) raised that
 * default from 16 to 64 MiB (`--scavenger-max-new-space-capacity-mb` 8 → 32, doubled without
 * pointer compression), so 128 MiB of dead Buffers may wait for a scavenge, and past the 64 MiB
 * external-memory limit they wait for a full mark-compact instead. Measured on a 1 GiB upload:
 * RSS growth 36 MiB on Node 22, 74 MiB on Node 24; a 1 GiB CAR import grows the semi-spaces to
 * 2 × 64 MiB as well (see docs/architecture.md, decisions).
 *
 * Two settings restore the old sizing: the semi-space cap (`--max-semi-space-size`, read only when
 * the heap is set up: a process started without it is re-executed with it, same pid, through
 * `process.execve`) and the early-scavenge threshold (read at each allocation: set at run time).
 * @packageDocumentation
 */
import { setFlagsFromString } from 'node:v8'

/** The largest semi-space in MiB: V8 ≤ 12's default on 64-bit Node (8 MiB × 2, no pointer compression). */
export const SEMI_SPACE_MIB = 16

const SEMI_SPACE_FLAG = /^--max[-_]semi[-_]space[-_]size(=|$)/
const SCAVENGER_FLAG = /^--scavenger[-_]max[-_]new[-_]space[-_]capacity[-_]mb(=|$)/

/** What {@link youngGenerationPlan} reads of the running process. */
export interface NodeProcessFacts {
  /** `process.execArgv`. */
  execArgv: readonly string[]
  /** `NODE_OPTIONS`. */
  nodeOptions: string | undefined
  /** `process.versions.v8`. */
  v8: string
  /** Whether `process.execve` exists (Node ≥ 22.15 / 23.11, POSIX). */
  canExec: boolean
}

/** What to do: the node arguments to re-execute with (none: run as is) and the V8 flags to set now. */
export interface YoungGenerationPlan {
  /** Node options to prepend when re-executing; empty: no re-execution. */
  reexecWith: string[]
  /** V8 flags for `v8.setFlagsFromString` in this process. */
  v8Flags: string[]
}

/**
 * The plan for a process: a semi-space cap the operator set (command line or `NODE_OPTIONS`) is
 * kept, as is an early-scavenge threshold they set; else the cap comes by re-executing (when
 * `process.execve` exists: Node 20 has none, and its default is already 16 MiB) and the threshold
 * is set at run time on V8 ≥ 12 (V8 11, Node 20, has no such flag and scavenges at 32 MiB already).
 */
export function youngGenerationPlan(facts: NodeProcessFacts): YoungGenerationPlan {
  const given = [...facts.execArgv, ...(facts.nodeOptions ?? '').split(/\s+/)]
  const capped = given.some((arg) => SEMI_SPACE_FLAG.test(arg))
  const thresholdSet = given.some((arg) => SCAVENGER_FLAG.test(arg))
  const v8Major = Number.parseInt(facts.v8, 10)
  return {
    reexecWith: capped || !facts.canExec ? [] : [`--max-semi-space-size=${SEMI_SPACE_MIB}`],
    v8Flags:
      thresholdSet || !(v8Major >= 12) ? [] : [`--scavenger-max-new-space-capacity-mb=${SEMI_SPACE_MIB / 2}`],
  }
}

/**
 * Gives this process the young generation of {@link youngGenerationPlan}: either replaces it
 * (`process.execve`, same pid, stdio and environment; does not return) with the same script and
 * arguments under `--max-semi-space-size`, or sets the run-time flag and returns. Call it first
 * thing in the launcher of a long-running server, never in a process that holds anything yet.
 */
export function boundYoungGeneration(): void {
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never })
    .execve
  const plan = youngGenerationPlan({
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS,
    v8: process.versions.v8,
    canExec: typeof execve === 'function',
  })
  if (plan.reexecWith.length > 0 && execve !== undefined) {
    const argv = [process.execPath, ...plan.reexecWith, ...process.execArgv, ...process.argv.slice(1)]
    execve.call(process, process.execPath, argv, process.env)
  }
  for (const flag of plan.v8Flags) setFlagsFromString(flag)
}
