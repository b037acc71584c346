#!/usr/bin/env node
// The `strata` command: runs the BUILT CLI (`pnpm build` first; `npm start` does it).
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli/index.js', import.meta.url)
if (!existsSync(cli)) {
  process.stderr.write('strata: this checkout is not built yet: run `npm start` (or `pnpm build`) first\n')
  process.exit(1)
}
// `serve` (wherever it stands: a false match only costs a re-execution) runs with V8 ≤ 12's young
// generation on every Node, before anything else is loaded: see src/cli/young-generation.ts.
if (process.argv.slice(2).includes('serve')) {
  const { boundYoungGeneration } = await import(
    new URL('../dist/cli/young-generation.js', import.meta.url).href
  )
  boundYoungGeneration()
}
const { main } = await import(cli.href)
process.exitCode = await main(process.argv.slice(2))
