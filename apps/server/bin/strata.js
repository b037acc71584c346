#!/usr/bin/env node
// The `strata` command: runs the BUILT CLI (`pnpm build` first; `npm start` does it).
import { main } from '../dist/cli/index.js'

process.exitCode = await main(process.argv.slice(2))
