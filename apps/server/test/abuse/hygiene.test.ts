/**
 * Abuse battery, hygiene (issue 14, D4–D6 and the notes): what a careless or hostile client can
 * make the server say, log or spend.
 *
 * - D4: `/readyz` leaked absolute paths (`ENOENT: … access '/…/journal'`);
 * - D5: a client that stops reading was logged at error level with a whole AbortError stack;
 * - D6: the request log had no bound on the path (94 MiB of log in 3 s), and error answers echoed
 *   whole headers;
 * - 64 one-byte ranges cost many times one range; a 1,024-character digest was decoded before it
 *   was refused; `/metrics` (open fds, max fds) could only be served beside the public API.
 */
import { readFileSync } from 'node:fs'
import { mkdtemp, rename, rm } from 'node:fs/promises'
import { get as httpGet } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHILD_TOKEN, type Child, freePort, startChild } from '@strata/testkit'
import { base58btc } from 'multiformats/bases/base58'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseDigest } from '../../src/http/protocol/digest.js'
import { RawConnection, requestText } from '../helpers/abuse.js'
import { allocate, memoryBlob, send } from '../helpers/e2e-helpers.js'

const MiB = 1024 * 1024
const dirs: string[] = []
const children: Child[] = []
afterEach(async () => {
  for (const child of children.splice(0)) await child.stop()
})
afterAll(async () => {
  await shared?.stop()
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

/** A child server at log level `info`, counting the bytes it writes to stdout (stopped after its test). */
async function serve(env: Record<string, string> = {}) {
  const child = await serveLong(env)
  children.push(child)
  return child
}

/** The child server most tests share (default settings), started once. */
let shared: Awaited<ReturnType<typeof serveLong>> | undefined
beforeAll(async () => {
  shared = await serveLong()
})
const server = () => shared as NonNullable<typeof shared>

/** A child server at log level `info`, counting the bytes it writes to stdout. */
async function serveLong(env: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-abuse-hyg-'))
  dirs.push(dataDir)
  const child = await startChild({
    backend: 'filesystem',
    dataDir,
    env: { STRATA_LOG_LEVEL: 'info', ...env },
  })
  let logged = 0
  child.process.stdout?.on('data', (chunk: Buffer) => {
    logged += chunk.length
  })
  const { did } = JSON.parse((await send(`${child.url}/healthz`, 'GET')).body.toString()) as { did: string }
  return Object.assign(child, { dataDir, did, logged: () => logged })
}

async function upload(child: Awaited<ReturnType<typeof serveLong>>, size: number) {
  const blob = memoryBlob(size)
  const { allocation } = await allocate(child.url, CHILD_TOKEN, child.did, blob.z, size)
  expect((await send(allocation.url as string, 'PUT', allocation.headers, blob.bytes)).status).toBe(201)
  return blob
}

/** CPU seconds (user + system) a process has used, from `/proc/<pid>/stat`. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100
}

describe('D4: /readyz and error answers carry fixed messages', () => {
  it('a missing journal directory: 503 naming the check, no path', async () => {
    const child = server()
    await rename(join(child.dataDir, 'journal'), join(child.dataDir, 'moved'))
    const res = await send(`${child.url}/readyz`, 'GET')
    const text = res.body.toString()
    expect(res.status).toBe(503)
    expect(JSON.parse(text).checks.journal).toMatchObject({ ok: false, error: 'failed (ENOENT)' })
    expect(text).not.toContain(child.dataDir)
    expect(text).not.toMatch(/\/tmp|access '/)
    // the operator finds the whole error in the log (once)
    const logged = () =>
      child.output.some((line) => line.includes('readiness probe failing') && line.includes('journal'))
    for (let i = 0; i < 50 && !logged(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(logged()).toBe(true)
    await rename(join(child.dataDir, 'moved'), join(child.dataDir, 'journal'))
    expect((await send(`${child.url}/readyz`, 'GET')).status).toBe(200)
  })
})

describe('D5: a client that stops reading', () => {
  it('reads 1 MiB of a 64 MiB GET and closes: one info line marked aborted, nothing at error, no stack', async () => {
    const child = server()
    const blob = await upload(child, 64 * MiB)
    const before = child.output.length
    for (let round = 0; round < 3; round++) {
      await new Promise<void>((resolve, reject) => {
        const req = httpGet(`${child.url}/blob/${blob.z}`, { agent: false }, (res) => {
          let got = 0
          res.on('data', (chunk: Buffer) => {
            got += chunk.length
            if (got >= MiB) {
              req.destroy()
              resolve()
            }
          })
        })
        req.on('error', (error) => (req.destroyed ? resolve() : reject(error)))
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    const lines = child.output.slice(before)
    const aborted = lines.filter((line) => line.includes('"aborted":true'))
    console.log(`D5: 3 aborted downloads logged as ${JSON.stringify(aborted[0])}`)
    expect(aborted).toHaveLength(3)
    for (const line of aborted) expect(JSON.parse(line)).toMatchObject({ level: 30, status: 200 })
    expect(lines.filter((line) => /"level":(50|60)/.test(line))).toEqual([])
    expect(lines.join('\n')).not.toMatch(/AbortError|\n\s+at /)
  })
})

describe('D6: bounded logs and answers', () => {
  it('200 requests for /x/<15,000 characters>: each log line and answer stays small', async () => {
    const child = server()
    const path = `/x/${'a'.repeat(15_000)}`
    const connection = await RawConnection.open(child.port)
    const before = child.logged()
    let answered = 0
    for (let i = 0; i < 200; i++) {
      const answer = await connection.get(path)
      expect(answer.status).toBe(404)
      expect(JSON.parse(answer.body.toString())).toEqual({
        error: { name: 'RouteNotFound', message: 'no route for GET on this path' },
      })
      answered += answer.body.length
    }
    connection.destroy()
    await new Promise((resolve) => setTimeout(resolve, 300))
    const perRequest = (child.logged() - before) / 200
    const line = child.output.find((text) => text.includes('"route":"unmatched"')) ?? ''
    console.log(
      `D6: 200 requests for a 15,000-character path: ${perRequest.toFixed(0)} log bytes and ${(answered / 200).toFixed(0)} answer bytes each (the path was ~15 KB of each line)`,
    )
    expect(perRequest).toBeLessThan(1024)
    expect((JSON.parse(line) as { path: string }).path).toHaveLength(256)
  })

  it('a 15 KB Range or digest is not echoed: answers stay under 512 bytes', async () => {
    const child = server()
    const blob = await upload(child, 1000)
    let range = 'bytes=5000-5000'
    for (let i = 5001; range.length < 15_000; i++) range += `,${i}-${i}`
    const unsatisfiable = await send(`${child.url}/blob/${blob.z}`, 'GET', { range })
    expect(unsatisfiable.status).toBe(416)
    expect(unsatisfiable.body.length).toBeLessThan(512)
    const long = `z${'1'.repeat(1023)}`
    const digest = await send(`${child.url}/blob/${long}`, 'GET')
    expect(digest.status).toBe(400)
    expect(digest.body.length).toBeLessThan(512)
    const did = `did:key:z${'a'.repeat(10_000)}`
    const body = await send(
      `${child.url}/allocations`,
      'POST',
      { authorization: `Bearer ${CHILD_TOKEN}`, 'content-type': 'application/json' },
      JSON.stringify({ space: did, blob: { digest: blob.z, size: 1000 }, cause: 'x'.repeat(10_000) }),
    )
    expect(body.status).toBe(400)
    expect(body.body.length).toBeLessThan(512)
  })
})

describe('notes of issue 14', () => {
  it('ranges: more than server.maxRanges (16) parts get the whole blob; the cost per request, measured', async () => {
    const child = server()
    const blob = await upload(child, MiB)
    const sparse = (n: number) =>
      `bytes=${Array.from({ length: n }, (_, i) => `${i * 10_000}-${i * 10_000}`).join(',')}`
    const connection = await RawConnection.open(child.port)
    const cost = async (range: string, n = 60) => {
      const answer = await connection.get(`/blob/${blob.z}`, { range })
      const started = cpuSeconds(child.pid)
      for (let i = 0; i < n; i++) await connection.get(`/blob/${blob.z}`, { range })
      return { answer, us: ((cpuSeconds(child.pid) - started) * 1e6) / n }
    }
    const one = await cost('bytes=1000-1000')
    const sixteen = await cost(sparse(16))
    const sixtyFour = await cost(sparse(64))
    connection.destroy()
    console.log(
      `ranges on a 1 MiB blob, server CPU per request: one range ${one.us.toFixed(0)} µs; 16 one-byte ranges ` +
        `${sixteen.us.toFixed(0)} µs (${(sixteen.us / one.us).toFixed(1)}×, 206 multipart); 64 one-byte ranges ` +
        `${sixtyFour.us.toFixed(0)} µs (${(sixtyFour.us / one.us).toFixed(1)}×, ${sixtyFour.answer.status}: the whole blob, as a plain GET)`,
    )
    expect(one.answer.status).toBe(206)
    expect(sixteen.answer.status).toBe(206)
    expect(sixteen.answer.headers['content-type']).toMatch(/^multipart\/byteranges/)
    expect(sixtyFour.answer.status).toBe(200)
    expect(sixtyFour.answer.body.length).toBe(MiB)
  })

  it('an over-long digest is refused before it is decoded', async () => {
    const normal = base58btc.encode(parseDigest('zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4').bytes)
    const long = `z${'2'.repeat(1023)}`
    expect(() => parseDigest(long)).toThrow(/longer than \d+ characters for base58btc/)
    const rate = (text: string) => {
      const started = performance.now()
      let n = 0
      while (performance.now() - started < 100) {
        try {
          parseDigest(text)
        } catch {}
        n++
      }
      return n / 0.1
    }
    const decode = (text: string) => {
      const started = performance.now()
      let n = 0
      while (performance.now() - started < 100) {
        try {
          base58btc.decode(text)
        } catch {}
        n++
      }
      return n / 0.1
    }
    console.log(
      `digests parsed per second: normal ${rate(normal).toFixed(0)}; 1,024 characters refused ${rate(long).toFixed(0)} ` +
        `(decoding it, as before, ${decode(long).toFixed(0)})`,
    )
  })

  it('/metrics on its own port (server.metricsPort): not on the public one', async () => {
    const port = await freePort()
    const child = await serve({ STRATA_SERVER_METRICS_PORT: String(port) })
    expect((await send(`${child.url}/metrics`, 'GET')).status).toBe(404)
    const metrics = await send(`http://127.0.0.1:${port}/metrics`, 'GET')
    expect(metrics.status).toBe(200)
    expect(metrics.body.toString()).toMatch(/^process_open_fds /m)
    expect(metrics.body.toString()).toMatch(/^strata_connections_open /m)
    expect((await send(`http://127.0.0.1:${port}/healthz`, 'GET')).status).toBe(404)
  })

  it('the request log never holds the query, whatever its length', async () => {
    const child = server()
    const connection = await RawConnection.open(child.port)
    connection.write(requestText('GET', `/healthz?X-Amz-Signature=${'f'.repeat(4000)}`))
    expect((await connection.answer()).status).toBe(200)
    connection.destroy()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(child.output.join('\n')).not.toContain('ffffffff')
  })
})
