/**
 * The client commands stay light: `strata get`, `put`, `import` and `export` load no server code
 * (hono, the SigV4 signer, ucanto), checked on the modules a real process of each resolved.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { carOf, sampleDag } from '@strata/car/testing/data'
import { CHILD_TOKEN, type Child, STRATA_BIN, startChild } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const TRACER = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'trace-imports.mjs')
const SERVER_ONLY = [
  /\/hono\//,
  /\/@hono\//,
  /\/@smithy\//,
  /\/@ucanto\//,
  /\/apps\/server\/dist\/(app|server|http|container)/,
]

let dir = ''
let child: Child
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-cli-imports-'))
  child = await startChild({ backend: 'memory', dataDir: dir })
})
afterAll(async () => {
  await child?.stop()
  await rm(dir, { recursive: true, force: true })
})

/** Runs `strata <args>` under the import tracer; answers its stdout and every module URL it resolved. */
async function traced(args: string[]): Promise<{ stdout: string; modules: string[] }> {
  const file = join(dir, `trace-${Date.now()}-${Math.random()}.txt`)
  await writeFile(file, '')
  const env = { ...process.env, TRACE_IMPORTS_FILE: file, STRATA_URL: child.url, STRATA_TOKEN: CHILD_TOKEN }
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', TRACER, STRATA_BIN, ...args], {
    cwd: dir,
    env,
  })
  const modules = (await readFile(file, 'utf8')).split('\n').filter(Boolean)
  return { stdout, modules }
}

describe('client commands load no server code', () => {
  it('strata put, get, import and export resolve no hono, @smithy or ucanto module', async () => {
    const path = join(dir, 'hello.txt')
    await writeFile(path, 'hello from a light client')
    const put = await traced(['put', path])
    const [digest] = put.stdout.trim().split('\n')
    expect(digest).toMatch(/^z/)
    const get = await traced(['get', String(digest)])
    expect(get.stdout).toBe('hello from a light client')
    // the CAR client commands too: import and export are plain HTTP clients
    const car = join(dir, 'sample.car')
    const dag = sampleDag()
    await writeFile(car, carOf([dag.root], dag.blocks))
    const imported = await traced(['import', car])
    expect(imported.stdout).toContain(`root ${dag.root}`)
    const exported = await traced(['export', dag.root.toString()])
    expect(exported.stdout.length).toBeGreaterThan(0)
    for (const { modules } of [put, get, imported, exported]) {
      // The tracer works: the CLI itself was resolved.
      expect(modules.some((url) => url.includes('/dist/cli/index.js'))).toBe(true)
      const heavy = modules.filter((url) => SERVER_ONLY.some((pattern) => pattern.test(url)))
      expect(heavy).toEqual([])
    }
  })
})
