/**
 * `GET` / `HEAD /car/:root` and `GET` / `HEAD /block/:cid`: exports and verified blocks, their
 * headers and statuses; an export missing a block mid-walk is cut short on the wire.
 */
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { CarBlockIterator } from '@ipld/car'
import { carOf, cborBlock, rawBlock, sampleDag } from '@strata/car/testing/data'
import { base32 } from 'multiformats/bases/base32'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { carApp, expectError, postCar } from '../helpers/car-fixtures.js'

const IMMUTABLE = 'public, max-age=29030400, immutable'

async function imported(blocks = sampleDag()) {
  const harness = carApp()
  const car = carOf([blocks.root], blocks.blocks)
  const res = await postCar(harness.app, car, { 'content-length': String(car.length) })
  expect(res.status).toBe(201)
  return { ...harness, car, dag: blocks }
}

/** The CIDs of a CAR's blocks, in order. */
async function cidsOf(bytes: Uint8Array): Promise<string[]> {
  const out: string[] = []
  for await (const block of await CarBlockIterator.fromBytes(bytes)) out.push(block.cid.toString())
  return out
}

describe('GET /car/:root', () => {
  it('streams a stored complete CAR as stored, with the CAR headers', async () => {
    const { app, car, dag } = await imported()
    const res = await app.request(`/car/${dag.root}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/vnd.ipld.car; version=1')
    expect(res.headers.get('cache-control')).toBe(IMMUTABLE)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(car))
  })

  it('scope=block: the root block alone; scope=all of a sub-DAG: a verified walk', async () => {
    const { app, dag } = await imported()
    const one = await app.request(`/car/${dag.root}?scope=block`)
    expect(one.status).toBe(200)
    expect(await cidsOf(new Uint8Array(await one.arrayBuffer()))).toEqual([dag.root.toString()])
    const directory = dag.blocks[1]?.cid
    const sub = await app.request(`/car/${directory}`)
    expect(await cidsOf(new Uint8Array(await sub.arrayBuffer()))).toEqual(
      dag.blocks.slice(1, 4).map((block) => block.cid.toString()),
    )
  })

  it('HEAD answers the headers without a body; a missing root is 404 for GET and HEAD', async () => {
    const { app, dag } = await imported()
    const head = await app.request(`/car/${dag.root}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('application/vnd.ipld.car; version=1')
    expect(await head.text()).toBe('')
    const missing = cborBlock({ not: 'stored' }).cid
    await expectError(
      await app.request(`/car/${missing}`),
      404,
      'BlockNotFoundError',
      new RegExp(`${missing}`),
    )
    expect((await app.request(`/car/${missing}`, { method: 'HEAD' })).status).toBe(404)
  })

  it('answers 400 to a bad CID or scope', async () => {
    const { app, dag } = await imported()
    await expectError(await app.request('/car/not-a-cid'), 400, 'BadRequest', /not a CID/)
    await expectError(await app.request(`/car/${dag.root}?scope=some`), 400, 'BadRequest', /scope/)
  })
})

describe('an export missing a block mid-walk', () => {
  // the root links to a leaf that no CAR holds: the walk sends the header and the root, then fails
  const leaf = rawBlock(new TextEncoder().encode('never stored'))
  const root = cborBlock({ leaf: leaf.cid, note: 'incomplete' })
  let server: Server
  let port: number
  let harness: Awaited<ReturnType<typeof imported>>

  beforeAll(async () => {
    harness = await imported({ root: root.cid, blocks: [root] })
    const listener = getRequestListener(harness.app.fetch)
    server = createServer((req, res) => void listener(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))

  it('errors the body stream (app.request)', async () => {
    const res = await harness.app.request(`/car/${root.cid}`)
    expect(res.status).toBe(200)
    await expect(res.arrayBuffer()).rejects.toMatchObject({ name: 'BlockNotFoundError' })
  })

  it('is cut short on the wire: the client sees a truncated chunked body, never an end', async () => {
    harness.logged.length = 0
    const outcome = await new Promise<{ status: number; received: Buffer; ended: boolean }>(
      (resolve, reject) => {
        const req = httpRequest({ port, path: `/car/${root.cid}`, agent: false }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          const done = (ended: boolean) =>
            resolve({ status: res.statusCode ?? 0, received: Buffer.concat(chunks), ended })
          res.on('end', () => done(res.complete))
          res.on('error', () => done(false))
          res.on('aborted', () => done(false))
        })
        req.on('error', reject)
        req.end()
      },
    )
    expect(outcome.status).toBe(200)
    expect(outcome.ended).toBe(false)
    // at most what came before the failure (the header and the root's section), never an end
    const sent = carOf([root.cid], [root])
    expect(Buffer.from(sent.subarray(0, outcome.received.length))).toEqual(outcome.received)
    expect(harness.logged).toHaveLength(1)
  })
})

describe('GET /block/:cid', () => {
  it('answers the verified block with its headers; HEAD the same headers; If-None-Match 304', async () => {
    const { app, dag } = await imported()
    for (const block of dag.blocks) {
      const res = await app.request(`/block/${block.cid}`)
      expect(res.status).toBe(200)
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(block.bytes))
      expect(Object.fromEntries(res.headers)).toMatchObject({
        'content-type': 'application/vnd.ipld.raw',
        'content-length': String(block.bytes.length),
        'x-content-type-options': 'nosniff',
        etag: `"${block.cid}"`,
        'cache-control': IMMUTABLE,
      })
    }
    const block = dag.blocks[3] as (typeof dag.blocks)[number]
    const head = await app.request(`/block/${block.cid}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(block.bytes.length))
    expect(await head.text()).toBe('')
    const cached = await app.request(`/block/${block.cid}`, {
      headers: { 'if-none-match': `"${block.cid}"` },
    })
    expect(cached.status).toBe(304)
    expect(cached.headers.get('etag')).toBe(`"${block.cid}"`)
  })

  it('accepts the CID in any multibase; the ETag names it canonically', async () => {
    const { app, dag } = await imported()
    const cid = dag.blocks[0]?.cid
    const res = await app.request(`/block/${cid?.toString(base32)}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toBe(`"${cid}"`)
    const directory = dag.blocks[1]?.cid.toV0() // the dag-pb block as a CIDv0: the same multihash
    const v0 = await app.request(`/block/${directory}`)
    expect(v0.status).toBe(200)
    expect(v0.headers.get('etag')).toBe(`"${directory}"`)
  })

  it('answers 404 naming the CID, 400 for a bad CID; a stored block that does not verify is a 500', async () => {
    const { app, dag, blobsBackend, car, logged } = await imported()
    const missing = rawBlock(new TextEncoder().encode('nope')).cid
    await expectError(
      await app.request(`/block/${missing}`),
      404,
      'BlockNotFoundError',
      new RegExp(`${missing}`),
    )
    await expectError(
      await app.request(`/block/${missing}`, { headers: { 'if-none-match': `"${missing}"` } }),
      404,
      'BlockNotFoundError',
    )
    await expectError(await app.request('/block/bafy-nope'), 400, 'BadRequest', /not a CID/)

    // flip a byte of the stored CAR behind the store's back: the block no longer verifies
    let key = ''
    for await (const found of blobsBackend.list('')) {
      if ((await blobsBackend.stat(found)).size === car.length) key = found // the CAR, not its index
    }
    const tampered = Buffer.from(car)
    const leaf = dag.blocks[2] as (typeof dag.blocks)[number]
    const at = tampered.indexOf(Buffer.from(leaf.bytes))
    tampered[at] = (tampered[at] as number) ^ 1
    await blobsBackend.put(key, tampered.length, tampered)
    await expectError(await app.request(`/block/${leaf.cid}`), 500, 'InternalError', /internal server error/)
    expect(logged).toHaveLength(1)
  })
})
