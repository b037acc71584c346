/**
 * `strata serve` runs with V8 ≤ 12's young generation on every Node (`src/cli/young-generation.ts`):
 * the plan for each kind of process, and the real launcher: where `process.execve` exists (Node ≥
 * 22.15) the server process, same pid, runs under `--max-semi-space-size=16`; an operator's own
 * setting is kept.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startChild } from '@strata/testkit'
import { describe, expect, it } from 'vitest'
import { youngGenerationPlan } from '../../src/cli/young-generation.js'

const CAP = '--max-semi-space-size=16'
const THRESHOLD = '--scavenger-max-new-space-capacity-mb=8'
const canExec = typeof (process as { execve?: unknown }).execve === 'function'

describe('youngGenerationPlan', () => {
  const base = { execArgv: [], nodeOptions: undefined, v8: '13.6.233.17-node.35', canExec: true }

  it('Node 24 as started: re-execute under the cap, set the early-scavenge threshold', () => {
    expect(youngGenerationPlan(base)).toEqual({ reexecWith: [CAP], v8Flags: [THRESHOLD] })
  })

  it('once re-executed (the cap in execArgv): no second re-execution', () => {
    expect(youngGenerationPlan({ ...base, execArgv: [CAP, '--enable-source-maps'] })).toEqual({
      reexecWith: [],
      v8Flags: [THRESHOLD],
    })
  })

  it("keeps the operator's own settings, on the command line or in NODE_OPTIONS (either spelling)", () => {
    expect(youngGenerationPlan({ ...base, execArgv: ['--max-semi-space-size=64'] }).reexecWith).toEqual([])
    expect(
      youngGenerationPlan({ ...base, nodeOptions: '--foo --max_semi_space_size=32' }).reexecWith,
    ).toEqual([])
    expect(
      youngGenerationPlan({ ...base, nodeOptions: '--scavenger-max-new-space-capacity-mb=32' }).v8Flags,
    ).toEqual([])
  })

  it('Node 20 (V8 11, no process.execve): nothing to do, its defaults are the sizing wanted', () => {
    expect(youngGenerationPlan({ ...base, v8: '11.3.244.8-node.33', canExec: false })).toEqual({
      reexecWith: [],
      v8Flags: [],
    })
  })

  it('Node 22 before 22.15 (no process.execve): the threshold only', () => {
    expect(youngGenerationPlan({ ...base, v8: '12.4.254.21-node.33', canExec: false })).toEqual({
      reexecWith: [],
      v8Flags: [THRESHOLD],
    })
  })
})

const linux = process.platform === 'linux' && existsSync('/proc/self/cmdline')

describe.runIf(linux)('strata serve (the built launcher)', () => {
  /** The server's own command line, from /proc (the pid spawned, which answered /healthz). */
  async function serverArgv(env: NodeJS.ProcessEnv = {}): Promise<string[]> {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-young-gen-'))
    const saved = process.env.NODE_OPTIONS
    try {
      if (env.NODE_OPTIONS !== undefined) process.env.NODE_OPTIONS = env.NODE_OPTIONS
      const child = await startChild({ backend: 'memory', dataDir })
      try {
        return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
      } finally {
        await child.stop()
      }
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS
      else process.env.NODE_OPTIONS = saved
      await rm(dataDir, { recursive: true, force: true })
    }
  }

  it(`runs under ${CAP} where process.execve exists (same pid), as started elsewhere`, async () => {
    const argv = await serverArgv()
    expect(argv.slice(-2)).toEqual([expect.stringMatching(/bin\/strata\.js$/), 'serve'])
    expect(argv.includes(CAP)).toBe(canExec)
  }, 60_000)

  it('an operator cap in NODE_OPTIONS is kept: no re-execution', async () => {
    const argv = await serverArgv({ NODE_OPTIONS: '--max-semi-space-size=32' })
    expect(argv.includes(CAP)).toBe(false)
  }, 60_000)
})
