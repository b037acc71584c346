import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { carOf, cborBlock, rawBlock } from '@strata/car/testing/data'
import { base58btc } from 'multiformats/bases/base58'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { type RunningServer, startServer } from '../../src/server.js'

/** Debian's chromium (`apt-get install chromium`; `.ci/run` installs it). */
const CHROMIUM = '/usr/bin/chromium'

/** Like `describeS3`: runs with Chromium; without it, a failure under CI=true, one skipped line elsewhere. */
function describeChromium(name: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, body)
    return
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has Chromium to test with', () => {
        throw new Error(
          `${CHROMIUM} is missing and CI=true: apt-get install -y --no-install-recommends chromium`,
        )
      })
    })
    return
  }
  describe.skip(name, () => {
    it(`needs ${CHROMIUM}: apt-get install -y --no-install-recommends chromium`, () => {})
  })
}

/** What the page's script reports: each fetch's status, some headers, and its bytes in hex (or its error). */
interface Fetched {
  status?: number
  headers?: Record<string, string | null>
  hex?: string
  error?: string
}

describeChromium('a page from another origin reads strata in headless Chromium (CORS)', () => {
  let dataDir: string
  let strata: RunningServer
  let page: { server: Server; url: string }
  const blobBytes = new TextEncoder().encode(
    '0123456789abcdefghijklmnopqrstuvwxyz: a blob read by range from a browser',
  )
  let blobDigest: string
  const leaf = rawBlock(new TextEncoder().encode('a block inside an imported CAR'))
  const root = cborBlock({ leaf: leaf.cid })

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-browser-'))
    const config = configSchema.parse({
      server: { port: 0, authToken: 'a-test-token-of-some-length' },
      storage: { backend: 'memory', dataDir },
      log: { level: 'silent' },
    })
    strata = await startServer({ config, logger: pino({ level: 'silent' }) })
    const digest = await sha256.digest(blobBytes)
    await strata.container.cradle.blobs.put(digest, blobBytes.byteLength, blobBytes)
    blobDigest = base58btc.encode(digest.bytes)
    await strata.container.cradle.cars.importCar(carOf([root.cid], [root, leaf]))
    // the page's origin: another port of the loopback
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>another origin</title>')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    page = { server, url: `http://localhost:${(server.address() as AddressInfo).port}/` }
  })
  afterAll(async () => {
    page?.server.close()
    await strata?.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('fetches a blob range and a ?format=raw block, checks the bytes; a write from that page is refused', async () => {
    const { chromium } = await import('playwright-core')
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    try {
      const tab = await browser.newPage()
      await tab.goto(page.url)
      const results = await tab.evaluate(
        async ({ strataUrl, blob, block }) => {
          const hex = (buffer: ArrayBuffer) =>
            [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
          const read = async (url: string, init: RequestInit, names: string[]) => {
            try {
              const res = await fetch(url, init)
              const headers = Object.fromEntries(names.map((name) => [name, res.headers.get(name)]))
              return { status: res.status, headers, hex: hex(await res.arrayBuffer()) }
            } catch (error) {
              return { error: String(error) }
            }
          }
          return {
            origin: (globalThis as unknown as { location: { origin: string } }).location.origin,
            range: await read(
              `${strataUrl}/blob/${blob}`,
              // If-None-Match makes it a preflighted request
              { headers: { range: 'bytes=10-35', 'if-none-match': '"something else"' } },
              ['content-range', 'content-length', 'etag', 'accept-ranges'],
            ),
            raw: await read(
              `${strataUrl}/ipfs/${block}?format=raw`,
              { headers: { accept: 'application/vnd.ipld.raw' } },
              ['content-type', 'etag', 'x-ipfs-roots', 'x-ipfs-path', 'content-length'],
            ),
            write: await read(`${strataUrl}/blob/${blob}`, { method: 'DELETE' }, []),
          }
        },
        { strataUrl: strata.url, blob: blobDigest, block: leaf.cid.toString() },
      )
      expect(results.origin).not.toBe(new URL(strata.url).origin)
      const range = results.range as Fetched
      expect(range.status).toBe(206)
      expect(range.hex).toBe(Buffer.from(blobBytes.subarray(10, 36)).toString('hex'))
      expect(range.headers).toEqual({
        'content-range': `bytes 10-35/${blobBytes.byteLength}`,
        'content-length': '26',
        etag: `"${blobDigest}"`,
        'accept-ranges': 'bytes',
      })
      const raw = results.raw as Fetched
      expect(raw.status).toBe(200)
      expect(raw.hex).toBe(Buffer.from(leaf.bytes).toString('hex'))
      expect(raw.headers).toEqual({
        'content-type': 'application/vnd.ipld.raw',
        etag: `"${leaf.cid}.raw"`,
        'x-ipfs-roots': leaf.cid.toString(),
        'x-ipfs-path': `/ipfs/${leaf.cid}`,
        'content-length': String(leaf.bytes.byteLength),
      })
      // the DELETE's preflight is refused: the browser never sends it, and the blob stays
      expect((results.write as Fetched).error).toMatch(/TypeError|Failed to fetch/)
      expect((await fetch(`${strata.url}/blob/${blobDigest}`)).status).toBe(200)
    } finally {
      await browser.close()
    }
  })
})
