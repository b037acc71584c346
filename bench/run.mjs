#!/usr/bin/env node
// strata benchmark driver: runs every suite in bench/suites (or those named with --only=a,b),
// prints a markdown table per suite and writes bench/results/latest.json (with --only, the other
// suites' earlier results in it are kept; each suite's entry carries its own date and mode).
// Usage: node bench/run.mjs [--quick] [--only=blobstore-put]   (build first: pnpm exec turbo run build)
// A suite is a module exporting `name`, `description` and `async run({ quick, log })` that answers
// `{ rows: [{ label, median, samples, note, unit? }], ...anything }` (`unit` defaults to MiB/s).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
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

// a suite's name is its file name: only the suites asked for are loaded
const files = (await readdir(join(here, 'suites')))
  .filter((file) => file.endsWith('.mjs') && (!only || only.includes(file.slice(0, -'.mjs'.length))))
  .sort()
const suites = []
for (const file of files) suites.push(await import(pathToFileURL(join(here, 'suites', file)).href))
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

// With --only, the other suites' results already in latest.json stay; each suite's entry says
// when and how it ran.
const out = join(here, 'results', 'latest.json')
const date = new Date().toISOString()
const previous = only ? await readFile(out, 'utf8').then(JSON.parse, () => undefined) : undefined
const merged = {}
// an entry from before per-suite stamps carries the date, mode and machine of its file
for (const [key, entry] of Object.entries(previous?.results ?? {}))
  merged[key] = entry.date
    ? entry
    : { date: previous.date, quick: previous.quick, machine: previous.machine, ...entry }
for (const suite of suites) merged[suite.name] = { date, quick, machine, ...results[suite.name] }
await mkdir(dirname(out), { recursive: true })
// Formatted as Biome would, so the committed file passes `biome ci` as written.
await writeFile(out, `${toJson({ date, quick, machine, results: merged })}\n`)
log(`wrote ${out}`)
