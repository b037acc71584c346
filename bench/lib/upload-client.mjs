// Runs one upload through bench/clients/upload.mjs in a child process and measures it: MiB/s (the
// client's own wall time of the upload), and over the same moment the CPU share of the client, of
// the server and of everything else on the machine, so the client is seen not to be the bound.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { track } from './children.mjs'
import { MiB } from './measure.mjs'
import { cpuMeter, measureWhenQuiet } from './proc-cpu.mjs'

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), '..', 'clients', 'upload.mjs')

/**
 * Uploads `size` fresh bytes to `server` (`{ url, pid, token?, did? }`) as `kind` (`strata`:
 * allocate + presigned PUT; `bare`: PUT as `name`) when the machine is quiet, and again while
 * other processes were busy during it (lib/proc-cpu.mjs `measureWhenQuiet`; `discard(result)`
 * removes what a repeated upload stored, `recover()` runs after a failed one). Answers
 * `{ mibps, ms, z, cpu: { client, server, others } }` (shares of a core). Throws if the client fails.
 */
export function uploadInChild({ kind, server, size, name = 'blob', discard, recover, log }) {
  return measureWhenQuiet(() => uploadOnce({ kind, server, size, name }), { discard, recover, log })
}

/** One upload as {@link uploadInChild} describes, without waiting for a quiet machine. */
async function uploadOnce({ kind, server, size, name }) {
  const job = { kind, url: server.url, token: server.token, did: server.did, size, name }
  const child = track(
    spawn(process.execPath, [CLIENT, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] }),
  )
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const exited = new Promise((resolve) => child.once('close', resolve))
  let meter
  let result
  for await (const line of createInterface({ input: child.stdout })) {
    const message = JSON.parse(line)
    if (message.msg === 'start') meter = cpuMeter([{ label: 'server', pid: server.pid }])
    if (message.msg === 'done') {
      const { share, machine } = meter.stop()
      const client = message.cpuMs / message.ms
      result = {
        mibps: size / MiB / (message.ms / 1000),
        ms: message.ms,
        z: message.z,
        cpu: { client, server: share.server, others: Math.max(0, machine - share.server - client) },
      }
    }
  }
  const code = await exited
  if (code !== 0 || !result) throw new Error(`upload client (${kind}) exited ${code}: ${stderr.slice(-2000)}`)
  return result
}
