import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StrataBlockstore } from '@strata/blockstore'
import { DEFAULT_MAX_BLOCK_SIZE } from '@strata/car'
import { carOf, rawBlock, sampleDag } from '@strata/car/testing/data'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { ipfsSocketReads } from '../../src/http/routes/ipfs/index.js'
import { type RunningServer, startServer } from '../../src/server.js'

/** Headers either transport may send differently without it meaning anything. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length'])

async function snapshot(res: Response) {
  const headers = Object.fromEntries([...res.headers].filter(([name]) => !TRANSPORT_HEADERS.has(name)))
  return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()).toString('base64') }
}

describe('GET/HEAD /ipfs/{cid} on the socket fast path answers as the hono route does', () => {
  let dataDir: string
  let server: RunningServer
  // the fast path alone: anything it declines answers 599
  let fastOnly: Server
  let fastUrl: string
  const dag = sampleDag()
  const missing = rawBlock(new TextEncoder().encode('not here')).cid
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-ipfs-socket-'))
    const config = configSchema.parse({
      server: { port: 0, authToken: 'a-test-token-of-some-length' },
      storage: { backend: 'memory', dataDir },
      log: { level: 'silent' },
    })
    server = await startServer({ config, logger: pino({ level: 'silent' }) })
    await server.container.cradle.cars.importCar(carOf([dag.root], dag.blocks))
    const { cradle } = server.container
    const blocks = new StrataBlockstore({
      blobs: cradle.blobs,
      cars: cradle.cars,
      readOnly: true,
      chunkSize: DEFAULT_MAX_BLOCK_SIZE,
      prefer: 'cars',
    })
    const fast = ipfsSocketReads({ blocks, record: () => {} })
    fastOnly = createServer((req, res) => {
      if (!fast(req, res)) res.writeHead(599).end()
    })
    await new Promise<void>((resolve) => fastOnly.listen(0, '127.0.0.1', resolve))
    fastUrl = `http://127.0.0.1:${(fastOnly.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    fastOnly?.close()
    await server?.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('for blocks, CARs, conditionals, negotiation and every error', async () => {
    const leaf = dag.blocks[2]?.cid
    const requests: [string, RequestInit][] = [
      [`/ipfs/${leaf}?format=raw`, {}],
      [`/ipfs/${leaf}`, { headers: { accept: 'application/vnd.ipld.raw' } }],
      [`/ipfs/${leaf}?format=raw`, { method: 'HEAD' }],
      [`/ipfs/${leaf}?format=raw`, { headers: { 'if-none-match': `"${leaf}.raw"` } }],
      [`/ipfs/${dag.root}?format=car`, {}],
      [`/ipfs/${dag.root}?format=car&dag-scope=block`, { method: 'HEAD' }],
      [`/ipfs/${dag.root}`, { headers: { accept: 'application/vnd.ipld.car;order=dfs;dups=n' } }],
      ['/ipfs/bafkqaaa?format=raw', {}],
      [`/ipfs/${missing}?format=raw`, {}],
      [`/ipfs/${missing}?format=raw`, { method: 'HEAD' }],
      [`/ipfs/${missing}?format=raw`, { headers: { 'cache-control': 'only-if-cached' } }],
      [`/ipfs/${leaf}`, { headers: { accept: '' } }], // fetch sends */* unless told otherwise
      [`/ipfs/${leaf}`, { headers: { accept: '*/*' } }],
      [`/ipfs/${leaf}`, { headers: { accept: 'text/html' } }],
      [`/ipfs/${leaf}?format=tar`, {}],
      [`/ipfs/${leaf}?format=car&dag-scope=nope`, {}],
      ['/ipfs/notacid?format=raw', {}],
    ]
    let fast = 0
    // a content path is not the fast path's: the hono route answers it (400)
    expect((await fetch(`${fastUrl}/ipfs/${dag.root}/a/b?format=car`)).status).toBe(599)
    expect((await fetch(`${server.url}/ipfs/${dag.root}/a/b?format=car`)).status).toBe(400)
    for (const [path, init] of requests) {
      const viaSocket = await fetch(`${fastUrl}${path}`, init)
      expect(viaSocket.status, path).not.toBe(599)
      const viaHono = await server.app.app.request(path, init)
      expect(await snapshot(viaSocket), path).toEqual(await snapshot(viaHono))
      fast++
    }
    expect(fast).toBe(requests.length)
  })
})
