#!/usr/bin/env node
// Starts the download suites' servers on the same bytes (lib/download-fixture.mjs: strata at log
// level warn, the Node ceiling, bare node:http + createReadStream, nginx with 1 worker; a 16 MiB
// and a 64 MiB blob, each server checked by sha-256) and keeps them up until SIGINT/SIGTERM, so
// that any load generator can be pointed at them by hand (see bench/cross-check/run.sh).
// Usage: node bench/serve.mjs [--out=servers.json]
//   prints, and with --out writes, `{ blobs: [{ size, z }], ranged: { size, z },
//   servers: { <label>: { url, pid } } }` (blob URL: <url>/blob/<z>), then waits.
import { writeFile } from 'node:fs/promises'
import { startDownloadFixture } from './lib/download-fixture.mjs'
import { MiB } from './lib/measure.mjs'

const out = process.argv.find((arg) => arg.startsWith('--out='))?.slice('--out='.length)
const log = (line) => console.error(line)
const fixture = await startDownloadFixture({
  sizes: [16 * MiB, 64 * MiB],
  ceiling: true,
  range: 64 * 1024,
  log,
})
const info = {
  blobs: fixture.blobs.map(({ size, z }) => ({ size, z })),
  ranged: { size: fixture.blobs.at(-1).size, z: fixture.blobs.at(-1).z },
  servers: Object.fromEntries(
    Object.values(fixture.servers).map((server) => [server.label, { url: server.url, pid: server.pid }]),
  ),
}
console.log(JSON.stringify(info, null, 2))
if (out) await writeFile(out, `${JSON.stringify(info)}\n`)
log('serving; stop with Ctrl-C (SIGINT) or SIGTERM')
let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await fixture.stop()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
setInterval(() => {}, 1 << 30) // keep the process alive
