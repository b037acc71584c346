/**
 * `strata import`, `strata export` and `strata inspect`: the built CLI as a process against a
 * child server (memory backend), and `inspect` of a local file with no server at all.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { carOf, cborBlock, rawBlock, sampleDag } from '@strata/car/testing/data'
import { CHILD_TOKEN, type Child, STRATA_BIN, startChild } from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let dir = ''
let child: Child
const dag = sampleDag()
const car = carOf([dag.root], dag.blocks)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-cli-car-'))
  child = await startChild({ backend: 'memory', dataDir: dir })
  await writeFile(join(dir, 'sample.car'), car)
})
afterAll(async () => {
  await child?.stop()
  await rm(dir, { recursive: true, force: true })
})

interface Result {
  code: number | null
  stdout: Buffer
  stderr: string
}

/** Runs `strata …` with the child's URL and token in its environment. */
function strata(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('STRATA_')))
  return new Promise((resolve, reject) => {
    const run = spawn(process.execPath, [STRATA_BIN, ...args], {
      cwd: dir,
      env: { ...clean, STRATA_URL: child.url, STRATA_TOKEN: CHILD_TOKEN, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    let err = ''
    run.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    run.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString()
    })
    run.on('error', reject)
    run.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }))
  })
}

describe('strata import', () => {
  it('imports a CAR file and prints its digest, roots and block count; again: already imported', async () => {
    const first = await strata(['import', 'sample.car'])
    expect(first.stderr).toMatch(/imported 3\.\d KiB in/)
    expect(first.code).toBe(0)
    const lines = first.stdout.toString().trim().split('\n')
    expect(lines).toEqual([
      expect.stringMatching(/^digest z[1-9A-HJ-NP-Za-km-z]+$/),
      `root ${dag.root}`,
      `blocks ${dag.blocks.length}`,
      expect.stringMatching(/^index bag/),
    ])
    const again = await strata(['import', 'sample.car'])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('already imported')
    expect(again.stdout.toString()).toBe(first.stdout.toString())
  })

  it("--owner makes the CAR the owner's (owner stat counts it); an owner that is not a DID exits 1", async () => {
    const owned = await strata(['import', 'sample.car', '--owner', 'did:plc:cliowner'])
    expect(owned.code).toBe(0)
    const stat = await strata(['owner', 'stat', 'did:plc:cliowner'])
    expect(JSON.parse(stat.stdout.toString())).toMatchObject({ blobs: 1, bytes: car.byteLength })
    const bad = await strata(['import', 'sample.car', '--owner', 'nobody'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/400 InvalidDidError/)
  })

  it('exits 1 with the server error (naming the byte offset) for a malformed CAR; 1 for a missing file', async () => {
    await writeFile(join(dir, 'cut.car'), car.subarray(0, car.length - 5))
    const cut = await strata(['import', 'cut.car'])
    expect(cut.code).toBe(1)
    expect(cut.stderr).toMatch(/POST \/car failed: 400 CarFormatError: malformed CAR at byte \d+: truncated/)
    const missing = await strata(['import', 'nope.car'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('nope.car: file not found')
    expect((await strata(['import'])).code).toBe(2)
  })
})

describe('strata export', () => {
  it('streams the DAG as a CAR to a file or stdout', async () => {
    expect((await strata(['import', 'sample.car'])).code).toBe(0)
    const toFile = await strata(['export', dag.root.toString(), '-o', 'out.car'])
    expect(toFile.code).toBe(0)
    expect(toFile.stderr).toContain(`wrote ${car.length} bytes to out.car`)
    expect(Buffer.from(await readFile(join(dir, 'out.car')))).toEqual(Buffer.from(car))
    const toStdout = await strata(['export', dag.root.toString()])
    expect(toStdout.code).toBe(0)
    expect(toStdout.stdout).toEqual(Buffer.from(car))
  })

  it('exits 1 for an unknown root; a truncated answer is an error and leaves no file', async () => {
    const unknown = cborBlock({ unknown: true }).cid
    const missing = await strata(['export', unknown.toString()])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`404 BlockNotFoundError: block not found: ${unknown}`)

    // a root whose leaf no CAR holds: the export is cut short after the root
    const leaf = rawBlock(new TextEncoder().encode('absent leaf'))
    const root = cborBlock({ leaf: leaf.cid })
    await writeFile(join(dir, 'partial.car'), carOf([root.cid], [root]))
    expect((await strata(['import', 'partial.car'])).code).toBe(0)
    const cut = await strata(['export', root.cid.toString(), '-o', 'partial-out.car'])
    expect(cut.code).toBe(1)
    expect(cut.stderr).toMatch(/cut short after \d+ bytes/)
    expect(existsSync(join(dir, 'partial-out.car'))).toBe(false)
    const cutToStdout = await strata(['export', root.cid.toString()])
    expect(cutToStdout.code).toBe(1)
    expect(cutToStdout.stderr).toMatch(/cut short/)
  })
})

describe('strata inspect', () => {
  const expected = [
    'version      1',
    `root         ${dag.root}`,
    expect.stringMatching(new RegExp(`^size {9}3\\.\\d KiB \\(${car.length} bytes\\)$`)),
    'blocks       7',
    'codecs       raw 4, dag-cbor 1, dag-pb 1, dag-json 1',
    'hashes       sha2-256 5, sha2-512 1, identity 1',
    expect.stringMatching(/^block bytes {2}3\.\d KiB \(\d+ bytes\)$/),
    expect.stringMatching(/^largest {6}2\.9 KiB \(3000 bytes\) bafk/),
    'outside      0 link(s) to blocks not in the CAR',
  ]

  it('reports a local file with no server (an unreachable --url is never asked)', async () => {
    const local = await strata(['inspect', 'sample.car', '--url', 'http://127.0.0.1:9'])
    expect(local.stderr).toBe('')
    expect(local.code).toBe(0)
    expect(local.stdout.toString().trimEnd().split('\n')).toEqual(expected)
  })

  it('reports a CID through the server export, listing links outside the CAR', async () => {
    expect((await strata(['import', 'sample.car'])).code).toBe(0)
    const remote = await strata(['inspect', dag.root.toString()])
    expect(remote.code).toBe(0)
    expect(remote.stdout.toString().trimEnd().split('\n')).toEqual(expected)

    const leaf = rawBlock(new TextEncoder().encode('elsewhere'))
    const root = cborBlock({ leaf: leaf.cid, more: leaf.cid })
    await writeFile(join(dir, 'outside.car'), carOf([root.cid], [root]))
    const outside = await strata(['inspect', 'outside.car'])
    expect(outside.stdout.toString()).toContain('outside      1 link(s) to blocks not in the CAR\n')
    expect(outside.stdout.toString()).toContain(`  ->         ${leaf.cid}\n`)
  })

  it('exits 1 for a file that is not a CAR, 2 for neither a file nor a CID', async () => {
    await writeFile(join(dir, 'text.car'), 'just some text')
    const bad = await strata(['inspect', 'text.car'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/text\.car: CarFormatError: malformed CAR at byte 0/)
    const neither = await strata(['inspect', 'no-such-thing'])
    expect(neither.code).toBe(2)
    expect(neither.stderr).toContain('no-such-thing: no such file, and not a CID')
  })
})
