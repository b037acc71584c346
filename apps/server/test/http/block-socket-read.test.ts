/**
 * The socket fast path answers block reads exactly as the hono route does (status, headers, bytes)
 * for every kind of request: blocks in any multibase, CIDv0, identity, missing, bad CIDs,
 * If-None-Match, HEAD, a block that no longer verifies.
 */
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { carOf, rawBlock, sampleDag } from '@strata/car/testing/data'
import { base32 } from 'multiformats/bases/base32'
import { base58btc } from 'multiformats/bases/base58'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blockSocketReads } from '../../src/http/index.js'
import { carApp, postCar } from '../helpers/car-fixtures.js'

const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding'])

interface Answer {
  status: number
  headers: Record<string, string>
  body: string
}

const harness = carApp()
const dag = sampleDag()
const car = carOf([dag.root], dag.blocks)
let server: Server
let port: number
const recorded: Array<{ route: string; status: number }> = []

beforeAll(async () => {
  expect((await postCar(harness.app, car)).status).toBe(201)
  const fast = blockSocketReads({ cars: harness.cars, record: (line) => void recorded.push(line) })
  server = createServer((req, res) => {
    if (!fast(req, res)) res.writeHead(599).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise((resolve) => server.close(resolve)))

function overSocket(method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const sent: Record<string, string> = {}
        for (const [name, value] of Object.entries(res.headers)) {
          if (!TRANSPORT_HEADERS.has(name)) sent[name] = String(value)
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: sent,
          body: Buffer.concat(chunks).toString('latin1'),
        })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

async function throughHono(method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  const res = await harness.app.request(path, { method, headers })
  const sent: Record<string, string> = {}
  res.headers.forEach((value, name) => {
    if (!TRANSPORT_HEADERS.has(name)) sent[name] = value
  })
  return { status: res.status, headers: sent, body: Buffer.from(await res.arrayBuffer()).toString('latin1') }
}

/** Both transports' answers, the fast path's JSON errors without the Content-Length hono leaves out. */
async function both(method: string, path: string, headers: Record<string, string> = {}) {
  const fast = await overSocket(method, path, headers)
  const routed = await throughHono(method, path, headers)
  if (routed.headers['content-length'] === undefined && routed.status >= 400) {
    if (method === 'GET') expect(fast.headers['content-length']).toBe(String(fast.body.length))
    delete fast.headers['content-length']
  }
  return { fast, routed }
}

describe('block reads on the socket fast path', () => {
  const identity = rawBlock(new TextEncoder().encode('inline'), 'identity').cid
  const missing = rawBlock(new TextEncoder().encode('missing')).cid
  const root = dag.root
  const directory = dag.blocks[1]?.cid
  const targets = [
    root.toString(),
    root.toString(base32),
    directory?.toV0().toString(base58btc),
    dag.blocks[3]?.cid.toString(),
    identity.toString(),
    missing.toString(),
    'not-a-cid',
    `${root}?x=1`,
  ]

  it('answers every request as the hono route does', async () => {
    for (const target of targets) {
      for (const method of ['GET', 'HEAD']) {
        for (const headers of [{}, { 'if-none-match': `"${root}"` }, { 'if-none-match': '*' }]) {
          const { fast, routed } = await both(method, `/block/${target}`, headers)
          expect(fast.status, `${method} ${target} ${JSON.stringify(headers)}`).not.toBe(599)
          expect(fast).toEqual(routed)
        }
      }
    }
    expect(recorded.every((line) => line.route === '/block/:cid')).toBe(true)
  })

  it('declines other paths (the router answers them)', async () => {
    expect((await overSocket('GET', `/block/${root}/more`, {})).status).toBe(599)
    expect((await overSocket('GET', '/block/%62afy', {})).status).toBe(599)
    expect((await overSocket('POST', `/block/${root}`, {})).status).toBe(599)
  })

  it('answers a stored block that no longer verifies with a 500, on both', async () => {
    for await (const key of harness.blobsBackend.list('')) {
      if ((await harness.blobsBackend.stat(key)).size !== car.length) continue
      const tampered = Buffer.from(car)
      const leaf = dag.blocks[2]?.bytes ?? new Uint8Array()
      const at = tampered.indexOf(Buffer.from(leaf))
      tampered[at] = (tampered[at] as number) ^ 1
      await harness.blobsBackend.put(key, tampered.length, tampered)
    }
    const { fast, routed } = await both('GET', `/block/${dag.blocks[2]?.cid}`)
    expect(fast.status).toBe(500)
    expect(fast).toEqual(routed)
  })
})
