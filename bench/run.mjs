#!/usr/bin/env node
// strata benchmark driver: runs every suite in bench/suites (or those named with --only=a,b),
// prints a markdown table per suite and writes bench/results/latest.json.
// Usage: node bench/run.mjs [--quick] [--only=blobstore-put]   (build first: pnpm exec turbo run build)
// A suite is a module exporting `name`, `description` and `async run({ quick, log })` that answers
// `{ rows: [{ label, median, samples, note, unit? }], ...anything }` (`unit` defaults to MiB/s).
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { toJson } from './lib/measure.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = args
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')

const files = (await readdir(join(here, 'suites'))).filter((file) => file.endsWith('.mjs')).sort()
const suites = []
for (const file of files) {
  const suite = await import(pathToFileURL(join(here, 'suites', file)).href)
  if (!only || only.includes(suite.name)) suites.push(suite)
}
if (suites.length === 0) throw new Error(`no suite matches ${only?.join(',')}`)

const log = (line) => console.error(line)
const results = {}
for (const suite of suites) {
  log(`# ${suite.name}: ${suite.description}${quick ? ' (--quick)' : ''}`)
  results[suite.name] = await suite.run({ quick, log })
}

const machine = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cpus: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
}
for (const suite of suites) {
  const { rows } = results[suite.name]
  console.log(`\n### ${suite.name}${quick ? ' (quick)' : ''}\n`)
  console.log('| benchmark | median | samples | note |')
  console.log('| --- | ---: | --- | --- |')
  for (const row of rows) {
    const unit = row.unit ?? 'MiB/s'
    const samples = row.samples.map((value) => value.toFixed(0)).join(', ')
    console.log(`| ${row.label} | ${row.median.toFixed(0)} ${unit} | ${samples} | ${row.note} |`)
  }
}
console.log(`\n${machine.cpus} x ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}`)

const out = join(here, 'results', 'latest.json')
await mkdir(dirname(out), { recursive: true })
// Formatted as Biome would, so the committed file passes `biome ci` as written.
await writeFile(out, `${toJson({ date: new Date().toISOString(), quick, machine, results })}\n`)
log(`wrote ${out}`)
