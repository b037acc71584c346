import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJson from '@ipld/dag-json'
import { Base32KeyEncoder, VerifiedBlobStore } from '@strata/blobstore'
import { StrataBlockstore } from '@strata/blockstore'
import { shardOf } from '@strata/objectstore/flatfs/layout'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { type RunningServer, startServer } from '../../src/server.js'

const MiB = 1024 * 1024
const nodeMajor = Number(process.versions.node.split('.')[0])

/** A verified-fetch whose ONLY source of blocks is the trustless gateway at `gateway` (no other router). */
async function verifiedFetchOf(gateway: string) {
  const { createHeliaLight } = await import('helia')
  const { fallbackRouter } = await import('@helia/fallback-router')
  const { trustlessGateway } = await import('@helia/block-brokers')
  const { createVerifiedFetch } = await import('@helia/verified-fetch')
  const helia = createHeliaLight({ codecs: [dagCbor, dagJson] })
  // Helia asks fallback routers only once its other routers are done; with none, never: so this
  // one is an ordinary router (no 'fallback' capability).
  const router = fallbackRouter({ gateways: [gateway] })
  router.capabilities = () => []
  helia.addRouter(router)
  helia.addBlockBroker(trustlessGateway({ allowInsecure: true, allowLocal: true }))
  await helia.start()
  const fetch = await createVerifiedFetch(helia)
  return {
    fetch,
    async stop() {
      await fetch.stop()
      await helia.stop()
    },
  }
}

/** Content made by a Helia node of its own: a 3 MiB UnixFS file and a dag-cbor object linking it, as CARs. */
async function content() {
  const { createHeliaLight } = await import('helia')
  const { unixfs } = await import('@helia/unixfs')
  const blockstore = new StrataBlockstore({
    blobs: new VerifiedBlobStore({ backend: new MemoryObjectStore() }),
  })
  const producer = createHeliaLight({ blockstore })
  await producer.start()
  const file = randomBytes(3 * MiB)
  const fileCid = await unixfs(producer).addBytes(file)
  const object = { name: 'strata', file: fileCid, sizes: [1, 2, 3] }
  const objectBytes = dagCbor.encode(object)
  const objectCid = CID.createV1(dagCbor.code, await sha256.digest(objectBytes))
  await blockstore.put(objectCid, objectBytes)
  const carOf = async (root: CID, scope: 'all' | 'block') => {
    const chunks: Uint8Array[] = []
    for await (const chunk of blockstore.exportCar(root, { scope })) chunks.push(chunk)
    return Buffer.concat(chunks)
  }
  // the object's CAR holds its own block only: the file's blocks are in the file's CAR alone
  const cars = { file: await carOf(fileCid, 'all'), object: await carOf(objectCid, 'block') }
  await producer.stop()
  return { file, fileCid, object, objectCid, cars }
}

/** A proxy to `target` that flips one byte in the middle of every raw-block body it relays. */
async function tamperingProxy(
  target: string,
): Promise<{ url: string; server: Server; tampered: () => number }> {
  let tampered = 0
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (answer) => {
        const parts: Buffer[] = []
        answer.on('data', (part: Buffer) => parts.push(part))
        answer.on('end', () => {
          const body = Buffer.concat(parts)
          if (answer.statusCode === 200 && body.length > 0) {
            const middle = body.length >> 1
            body[middle] = (body[middle] as number) ^ 0x01
            tampered++
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          res.end(body)
        })
      },
    )
    upstream.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    tampered: () => tampered,
  }
}

async function outcome(
  fetching: Promise<Response>,
): Promise<{ status: number; bytes?: Uint8Array } | { error: string }> {
  try {
    const res = await fetching
    return res.ok
      ? { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) }
      : { status: res.status }
  } catch (error) {
    return { error: (error as Error).name }
  }
}

// helia 7 and @helia/verified-fetch 8 fail at import on Node 20 (undici 8 needs Node >= 22.19): CI runs this on 22 and 24.
describe.skipIf(nodeMajor < 22)('@helia/verified-fetch with strata as its only gateway', () => {
  let dataDir: string
  let server: RunningServer
  const gatewayRequests: string[] = []
  let made: Awaited<ReturnType<typeof content>>

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-verified-fetch-'))
    const config = configSchema.parse({
      server: { port: 0, authToken: 'a-test-token-of-some-length' },
      storage: { backend: 'filesystem', dataDir },
      log: { level: 'info' },
    })
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          const entry = JSON.parse(line) as { msg?: string; path?: string }
          if (entry.msg === 'request' && entry.path?.startsWith('/ipfs/')) gatewayRequests.push(entry.path)
        },
      },
    )
    server = await startServer({ config, logger })
    made = await content()
    // `strata import` is not in this branch: the CARs go in through the CarStore it would call
    await server.container.cradle.cars.importCar(made.cars.file)
    await server.container.cradle.cars.importCar(made.cars.object)
  })
  afterAll(async () => {
    await server?.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('fetches the UnixFS file and the dag-cbor object; the bytes match', async () => {
    const client = await verifiedFetchOf(server.url)
    try {
      const file = await client.fetch(`ipfs://${made.fileCid}`, { signal: AbortSignal.timeout(30_000) })
      expect(
        file.status,
        await file
          .clone()
          .text()
          .catch(() => ''),
      ).toBe(200)
      expect(Buffer.from(await file.arrayBuffer()).equals(made.file)).toBe(true)
      const object = await client.fetch(`ipfs://${made.objectCid}`, {
        headers: { accept: 'application/vnd.ipld.dag-cbor' },
        signal: AbortSignal.timeout(30_000),
      })
      expect(object.status).toBe(200)
      expect(object.headers.get('content-type')).toBe('application/vnd.ipld.dag-cbor')
      const objectBytes = new Uint8Array(await object.arrayBuffer())
      expect(objectBytes).toEqual(dagCbor.encode(made.object))
      expect(dagCbor.decode(objectBytes)).toEqual(made.object)
      const raw = await client.fetch(`ipfs://${made.objectCid}?format=raw`, {
        signal: AbortSignal.timeout(30_000),
      })
      expect(new Uint8Array(await raw.arrayBuffer())).toEqual(dagCbor.encode(made.object))
    } finally {
      await client.stop()
    }
    // every block came from strata's gateway, as raw blocks
    expect(gatewayRequests.length).toBeGreaterThanOrEqual(4)
    expect(gatewayRequests).toContain(`/ipfs/${made.fileCid}`)
  })

  it('refuses a block changed on disk (same length): strata will not serve it, getBlock refuses it, and verified-fetch refuses it from a gateway that does serve changed bytes', async () => {
    const { cradle } = server.container
    // the second MiB of the file: a leaf inside the imported CAR blob, on flatfs
    const needle = made.file.subarray(MiB + 4096, MiB + 4096 + 64)
    const carDigest = await sha256.digest(made.cars.file)
    const key = new Base32KeyEncoder().encode(carDigest)
    const path = join(dataDir, 'blobs', shardOf(key), `${key}.data`)
    const stored = await readFile(path)
    const at = stored.indexOf(needle)
    expect(at).toBeGreaterThan(0)
    stored[at] = (stored[at] as number) ^ 0xff
    await writeFile(path, stored)
    const leafIndex = await findLeafWith(made.fileCid, needle, server.url)
    await expect(cradle.cars.getBlock(leafIndex)).rejects.toMatchObject({ name: 'DigestMismatchError' })
    const direct = await fetch(`${server.url}/ipfs/${leafIndex}?format=raw`)
    expect(direct.status).toBe(500)

    const client = await verifiedFetchOf(server.url)
    try {
      const result = await outcome(
        client.fetch(`ipfs://${made.fileCid}`, { signal: AbortSignal.timeout(20_000) }).then(async (res) => {
          // a streamed body that fails midway is a refusal too
          if (res.ok) await res.arrayBuffer()
          return res
        }),
      )
      expect(result).not.toHaveProperty('bytes')
    } finally {
      await client.stop()
    }

    // and verified-fetch's own check: a gateway that changes a block's bytes in flight is refused
    const proxy = await tamperingProxy(server.url)
    const proxied = await verifiedFetchOf(proxy.url)
    try {
      const result = await outcome(
        proxied.fetch(`ipfs://${made.objectCid}`, {
          headers: { accept: 'application/vnd.ipld.dag-cbor' },
          signal: AbortSignal.timeout(20_000),
        }),
      )
      expect(result).not.toHaveProperty('bytes')
      expect(proxy.tampered()).toBeGreaterThan(0) // it did receive the changed block, and refused it
    } finally {
      await proxied.stop()
      proxy.server.close()
    }
  })
})

/** The CID of the file's leaf block that holds `needle` (walking the DAG through strata's gateway). */
async function findLeafWith(root: CID, needle: Uint8Array, gateway: string): Promise<CID> {
  const dagPb = await import('@ipld/dag-pb')
  const node = dagPb.decode(
    new Uint8Array(await (await fetch(`${gateway}/ipfs/${root}?format=raw`)).arrayBuffer()),
  )
  for (const link of node.Links) {
    const res = await fetch(`${gateway}/ipfs/${link.Hash}?format=raw`)
    if (res.status === 500) return link.Hash
    if (Buffer.from(await res.arrayBuffer()).includes(Buffer.from(needle))) return link.Hash
  }
  throw new Error('no leaf holds the needle')
}
