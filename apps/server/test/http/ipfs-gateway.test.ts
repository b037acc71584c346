import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CarBlockIterator } from '@ipld/car'
import { Base32KeyEncoder } from '@strata/blobstore'
import { carOf, cborBlock, rawBlock, sampleDag } from '@strata/car/testing/data'
import { shardOf } from '@strata/objectstore/flatfs/layout'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { configSchema } from '../../src/config/index.js'
import { createContainer } from '../../src/container/index.js'

const RAW = 'application/vnd.ipld.raw'
const CAR = 'application/vnd.ipld.car'
const bytesOf = (text: string) => new TextEncoder().encode(text)

async function carBlocks(res: Response) {
  const iterator = await CarBlockIterator.fromBytes(new Uint8Array(await res.arrayBuffer()))
  const cids: string[] = []
  for await (const block of iterator) cids.push(block.cid.toString())
  return { roots: (await iterator.getRoots()).map(String), cids }
}

async function started(backend: 'memory' | 'filesystem') {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-gateway-'))
  const config = configSchema.parse({
    storage: { backend, dataDir },
    server: { authToken: 'a-test-token-of-some-length' },
    log: { level: 'silent' },
  })
  const container = createContainer(config, { logger: pino({ level: 'silent' }) })
  await container.start()
  const { app } = createApp({ container, publicUrl: 'http://127.0.0.1:3000' })
  return {
    container,
    dataDir,
    request: (path: string, init?: RequestInit) => app.request(path, init),
    async stop() {
      await container.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

describe('GET/HEAD /ipfs/{cid}: the Trustless Gateway (memory backend)', () => {
  let gw: Awaited<ReturnType<typeof started>>
  const dag = sampleDag()
  const blob = bytesOf('a blob uploaded as such is a raw block')
  let blobCid: CID
  beforeAll(async () => {
    gw = await started('memory')
    await gw.container.cradle.cars.importCar(carOf([dag.root], dag.blocks))
    const digest = await sha256.digest(blob)
    await gw.container.cradle.blobs.put(digest, blob.byteLength, blob)
    blobCid = CID.createV1(0x55, digest)
  })
  afterAll(() => gw.stop())

  const leaf = () => dag.blocks[2] as { cid: CID; bytes: Uint8Array }

  it('?format=raw: the verified block with the spec headers', async () => {
    const { cid, bytes } = leaf()
    const res = await gw.request(`/ipfs/${cid}?format=raw`)
    expect(res.status).toBe(200)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes)
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': RAW,
      'content-length': String(bytes.byteLength),
      'x-content-type-options': 'nosniff',
      etag: `"${cid}.raw"`,
      'cache-control': 'public, max-age=29030400, immutable',
      'content-disposition': `attachment; filename="${cid}.bin"`,
      'x-ipfs-path': `/ipfs/${cid}`,
      'x-ipfs-roots': cid.toString(),
      vary: 'Accept',
    })
    expect(res.headers.get('content-location')).toBeNull()
  })

  it('Accept: application/vnd.ipld.raw: the same block, and Content-Location names ?format=raw', async () => {
    const { cid, bytes } = leaf()
    const res = await gw.request(`/ipfs/${cid}`, { headers: { accept: RAW } })
    expect(res.status).toBe(200)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes)
    expect(res.headers.get('content-location')).toBe(`/ipfs/${cid}?format=raw`)
  })

  it('serves any block wherever it is: a blob (by its raw CID, CIDv0 too) and the identity probe', async () => {
    const res = await gw.request(`/ipfs/${blobCid}?format=raw`)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(blob)
    const v0 = CID.createV0(blobCid.multihash as never)
    expect(new Uint8Array(await (await gw.request(`/ipfs/${v0}?format=raw`)).arrayBuffer())).toEqual(blob)
    const probe = await gw.request('/ipfs/bafkqaaa?format=raw', { headers: { accept: RAW } })
    expect(probe.status).toBe(200)
    expect((await probe.arrayBuffer()).byteLength).toBe(0)
  })

  it('HEAD answers the GET headers without a body; If-None-Match answers 304', async () => {
    const { cid, bytes } = leaf()
    const head = await gw.request(`/ipfs/${cid}?format=raw`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(bytes.byteLength))
    expect(await head.text()).toBe('')
    const cached = await gw.request(`/ipfs/${cid}?format=raw`, {
      headers: { 'if-none-match': `"${cid}.raw"` },
    })
    expect(cached.status).toBe(304)
    const carHead = await gw.request(`/ipfs/${dag.root}?format=car`, { method: 'HEAD' })
    expect(carHead.status).toBe(200)
    expect(carHead.headers.get('content-type')).toBe(`${CAR}; version=1; order=dfs; dups=n`)
  })

  it('?format=car: a CARv1 of the DAG, depth first, each block once, no identity blocks', async () => {
    const res = await gw.request(`/ipfs/${dag.root}?format=car`)
    expect(res.status).toBe(200)
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': `${CAR}; version=1; order=dfs; dups=n`,
      'content-disposition': `attachment; filename="${dag.root}.car"`,
      'x-content-type-options': 'nosniff',
      etag: `W/"${dag.root}.car.all.dfs.n"`,
      'accept-ranges': 'none',
    })
    const expected = dag.blocks
      .filter((block) => block.cid.multihash.code !== 0)
      .map((block) => String(block.cid))
    expect(await carBlocks(res)).toEqual({ roots: [dag.root.toString()], cids: expected })
  })

  it('Accept with CAR parameters and q-values; dag-scope=block and entity', async () => {
    const accept = `${RAW};q=0.5, ${CAR};version=1;order=dfs;dups=n;q=0.9`
    const res = await gw.request(`/ipfs/${dag.root}?dag-scope=block`, { headers: { accept } })
    expect(res.headers.get('content-location')).toBe(`/ipfs/${dag.root}?dag-scope=block&format=car`)
    expect((await carBlocks(res)).cids).toEqual([dag.root.toString()])
    const entity = await gw.request(
      `/ipfs/${dag.root}?format=car&dag-scope=entity&car-order=dfs&car-dups=n&car-version=1`,
    )
    expect((await carBlocks(entity)).cids).toEqual([dag.root.toString()]) // dag-cbor: the entity is the block
    const probe = await gw.request('/ipfs/bafkqaaa?format=car')
    expect(await carBlocks(probe)).toEqual({ roots: ['bafkqaaa'], cids: [] })
  })

  it('bad input: 400 for a bad CID, format, scope or CAR parameter, a path, or no Accept; 406; 404; 412', async () => {
    const { cid } = leaf()
    const missing = rawBlock(bytesOf('not here')).cid
    const cases: [string, RequestInit | undefined, number, string, RegExp][] = [
      ['/ipfs/not-a-cid?format=raw', undefined, 400, 'BadRequest', /not a CID/],
      [`/ipfs/${cid}?format=tar`, undefined, 400, 'BadRequest', /format "tar" is not served/],
      [`/ipfs/${cid}?format=car&dag-scope=everything`, undefined, 400, 'BadRequest', /dag-scope/],
      [`/ipfs/${cid}?format=car&car-dups=y`, undefined, 400, 'BadRequest', /car-dups/],
      [`/ipfs/${cid}?format=car&car-version=2`, undefined, 400, 'BadRequest', /car-version/],
      [`/ipfs/${cid}?format=car&car-order=bfs`, undefined, 400, 'BadRequest', /car-order/],
      [`/ipfs/${cid}?format=car&entity-bytes=0:10`, undefined, 400, 'BadRequest', /entity-bytes/],
      [`/ipfs/${cid}/some/path?format=car`, undefined, 400, 'BadRequest', /content paths/],
      [`/ipfs/${cid}`, undefined, 400, 'BadRequest', /trustless gateway/],
      [
        `/ipfs/${cid}`,
        { headers: { accept: 'text/html,*/*;q=0.8' } },
        406,
        'NotAcceptable',
        /none of the accepted/,
      ],
      [
        `/ipfs/${cid}`,
        { headers: { accept: `${CAR};version=2` } },
        406,
        'NotAcceptable',
        /none of the accepted/,
      ],
      [`/ipfs/${cid}`, { headers: { accept: `${RAW};q=0` } }, 406, 'NotAcceptable', /none of the accepted/],
      [`/ipfs/${missing}?format=raw`, undefined, 404, 'NotFoundError', /not found/],
      [`/ipfs/${missing}?format=car`, undefined, 404, 'NotFoundError', /not found/],
      [`/ipfs/${missing}?format=raw`, { method: 'HEAD' }, 404, '', /^$/],
      [
        `/ipfs/${missing}?format=raw`,
        { headers: { 'cache-control': 'only-if-cached' } },
        412,
        'PreconditionFailed',
        /only-if-cached/,
      ],
    ]
    for (const [path, init, status, name, message] of cases) {
      const res = await gw.request(path, init)
      expect(res.status, path).toBe(status)
      if (init?.method === 'HEAD') continue
      const body = (await res.json()) as { error: { name: string; message: string } }
      expect(body.error.name, path).toBe(name)
      expect(body.error.message, path).toMatch(message)
    }
  })
})

describe('GET /ipfs/{cid} on flatfs: a stored block changed on disk is never served', () => {
  let gw: Awaited<ReturnType<typeof started>>
  beforeAll(async () => {
    gw = await started('filesystem')
  })
  afterAll(() => gw.stop())

  it('a block inside a CAR, one byte flipped (same length): raw 500, CAR 500 or a cut stream', async () => {
    const leafBytes = bytesOf('the leaf that will be changed on disk')
    const leaf = rawBlock(leafBytes)
    const root = cborBlock({ leaf: leaf.cid })
    const car = carOf([root.cid], [root, leaf])
    const { digest } = await gw.container.cradle.cars.importCar(car)
    const key = new Base32KeyEncoder().encode(digest)
    const file = join(gw.dataDir, 'blobs', shardOf(key), `${key}.data`)
    const stored = await readFile(file)
    const at = Buffer.from(stored).indexOf(Buffer.from(leafBytes))
    stored[at] = (stored[at] as number) ^ 0x01
    await writeFile(file, stored)
    const raw = await gw.request(`/ipfs/${leaf.cid}?format=raw`)
    expect(raw.status).toBe(500)
    expect(await raw.json()).toEqual({ error: { name: 'InternalError', message: 'internal server error' } })
    await expect(gw.container.cradle.cars.getBlock(leaf.cid)).rejects.toMatchObject({
      name: 'DigestMismatchError',
    })
    // the root is intact: the CAR starts, then stops before the changed block
    const res = await gw.request(`/ipfs/${root.cid}?format=car`)
    expect(res.status).toBe(200)
    await expect(res.arrayBuffer()).rejects.toThrow()
  })
})
