/** `bin/strata.js` in a checkout that was never built says what to run, in one line, without a stack trace. */
import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { STRATA_BIN } from '@strata/testkit'
import { expect, it } from 'vitest'

it('prints one line saying what to run when dist/ is missing, and exits 1', async () => {
  const checkout = await mkdtemp(join(tmpdir(), 'strata-unbuilt-'))
  try {
    await mkdir(join(checkout, 'bin'))
    await copyFile(STRATA_BIN, join(checkout, 'bin', 'strata.js'))
    const failure = await promisify(execFile)(process.execPath, [
      join(checkout, 'bin', 'strata.js'),
      '--help',
    ]).then(
      () => undefined,
      (error: { code: number; stderr: string; stdout: string }) => error,
    )
    expect(failure?.code).toBe(1)
    expect(failure?.stdout).toBe('')
    expect(failure?.stderr).toBe(
      'strata: this checkout is not built yet: run `npm start` (or `pnpm build`) first\n',
    )
  } finally {
    await rm(checkout, { recursive: true, force: true })
  }
})
