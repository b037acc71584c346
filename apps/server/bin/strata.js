#!/usr/bin/env node
// The `strata` command: runs the BUILT CLI (`pnpm build` first; `npm start` does it).
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli/index.js', import.meta.url)
if (!existsSync(cli)) {
  process.stderr.write('strata: this checkout is not built yet: run `npm start` (or `pnpm build`) first\n')
  process.exit(1)
}
const { main } = await import(cli.href)
process.exitCode = await main(process.argv.slice(2))
