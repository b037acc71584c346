/**
 * The OpenAPI description cannot drift from the code: `GET /openapi.json` is a valid OpenAPI 3.1
 * document, every route the app mounts is in it, and every answer below — success and error, from
 * a real server (the socket fast path included) — is checked against it: declared status, declared
 * content type, JSON body valid against the declared schema. The last test requires every
 * operation of the description to have been exercised.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Validator } from '@seriousme/openapi-schema-validator'
import { carOf, rawBlock, sampleDag } from '@strata/car/testing/data'
import { encodeEntry } from '@strata/local/journal'
import { delegate } from '@ucanto/core'
import { ed25519 } from '@ucanto/principal'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { checksumOf, presignUpload } from '../../src/http/index.js'
import type { RunningServer } from '../../src/server.js'
import { SERVER_MAX, SERVER_TOKEN, startTestServer } from '../helpers/bad-input-helpers.js'
import { commitCar } from '../helpers/content-ctx.js'
import { retrievalReceipt } from '../helpers/e2e-helpers.js'
import { OpenApiChecker, type OpenApiDocument } from '../helpers/openapi-checker.js'

let dataDir: string
let server: RunningServer
let checker: OpenApiChecker
let doc: OpenApiDocument

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-openapi-'))
  server = await startTestServer('filesystem', dataDir)
  const res = await fetch(`${server.url}/openapi.json`)
  doc = (await res.json()) as OpenApiDocument
  checker = new OpenApiChecker(doc)
})
afterAll(async () => {
  await server?.close()
  await rm(dataDir, { recursive: true, force: true })
})

const bearer = { authorization: `Bearer ${SERVER_TOKEN}` }
const json = { ...bearer, 'content-type': 'application/json' }

/** Sends a request to the server and checks its answer against the description. */
async function call(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
) {
  const url = path.startsWith('http') ? path : `${server.url}${path}`
  const res = await fetch(url, { method, ...init })
  const body = new Uint8Array(await res.arrayBuffer())
  checker.check(method, new URL(url).pathname, {
    status: res.status,
    contentType: res.headers.get('content-type') ?? undefined,
    body,
  })
  return { status: res.status, headers: res.headers, body }
}

/** `count` bytes, different for each `seed`. */
const bytesOf = (seed: number, count = 1024) =>
  Uint8Array.from({ length: count }, (_, i) => (i * 31 + seed) % 251)
const zOf = async (bytes: Uint8Array) => base58btc.encode((await sha256.digest(bytes)).bytes)
const space = (await ed25519.generate()).did()

/** Allocates and uploads `bytes` for `space`; answers its digest text. */
async function stored(bytes: Uint8Array): Promise<string> {
  const digest = await zOf(bytes)
  const allocated = await call('POST', '/allocations', {
    headers: json,
    body: JSON.stringify({ space, blob: { digest, size: bytes.length } }),
  })
  expect(allocated.status).toBe(201)
  const { url, headers } = JSON.parse(new TextDecoder().decode(allocated.body)) as {
    url: string
    headers: Record<string, string>
  }
  expect((await call('PUT', url, { headers, body: bytes })).status).toBe(201)
  return digest
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const answer = await call('GET', '/openapi.json')
    expect(answer.status).toBe(200)
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0])
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(doc.openapi).toBe('3.1.0')
  })

  it('describes every route the app mounts', () => {
    const { app } = createApp({ container: server.container, publicUrl: server.url })
    const described = new Set(checker.operations())
    const mounted = app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path.replace(/:([^/{]+)(\{[^}]*\})?/g, '{$1}')}`)
    expect(mounted.filter((route) => !described.has(route))).toEqual([])
  })
})

describe('the checker', () => {
  it('refuses an undeclared status, an undeclared content type, a body off its schema, an unknown path', () => {
    const answer = (status: number, contentType: string | undefined, text: string) => ({
      status,
      contentType,
      body: new TextEncoder().encode(text),
    })
    const own = new OpenApiChecker(doc) // not the one whose coverage the last test checks
    const check = (path: string, seen: ReturnType<typeof answer>) => () => own.check('GET', path, seen)
    expect(check('/healthz', answer(418, undefined, ''))).toThrow(/status 418 is not declared/)
    expect(check('/healthz', answer(200, 'text/html', '<p>ok</p>'))).toThrow(/content type text\/html/)
    expect(check('/healthz', answer(200, 'application/json', '{"ok":"yes"}'))).toThrow(/does not match/)
    expect(check('/nowhere', answer(200, undefined, ''))).toThrow(/no path of the description/)
    expect(check('/healthz', answer(200, 'application/json', '{"ok":true}'))).not.toThrow()
  })
})

describe('health', () => {
  it('answers /healthz, /readyz, /metrics as described', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200)
    expect((await call('GET', '/readyz')).status).toBe(200)
    expect((await call('GET', '/metrics')).status).toBe(200)
  })
})

describe('allocations and uploads', () => {
  it('answers each outcome as described', async () => {
    const bytes = bytesOf(1)
    const digest = await stored(bytes)
    const again = { space, blob: { digest, size: bytes.length } }
    expect((await call('POST', '/allocations', { headers: json, body: JSON.stringify(again) })).status).toBe(
      200,
    )
    const post = (headers: Record<string, string>, body: string) =>
      call('POST', '/allocations', { headers, body })
    expect((await post(json, '{"space":1}')).status).toBe(400)
    expect((await post({ 'content-type': 'application/json' }, JSON.stringify(again))).status).toBe(401)
    expect((await post({ ...bearer, 'content-type': 'text/plain' }, JSON.stringify(again))).status).toBe(415)
    const big = { space, blob: { digest: await zOf(bytesOf(2)), size: SERVER_MAX + 1 } }
    expect((await post(json, JSON.stringify(big))).status).toBe(413)
  })

  it('answers each upload outcome as described', async () => {
    const bytes = bytesOf(3)
    const digest = await sha256.digest(bytes)
    const z = base58btc.encode(digest.bytes)
    const allocated = await call('POST', '/allocations', {
      headers: json,
      body: JSON.stringify({ space, blob: { digest: z, size: bytes.length } }),
    })
    const { url, headers } = JSON.parse(new TextDecoder().decode(allocated.body)) as {
      url: string
      headers: Record<string, string>
    }
    const tampered = url.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=x')
    expect((await call('PUT', tampered, { headers, body: bytes })).status).toBe(401)
    const badDigest = url.replace(/\/blob\/[^?]+/, '/blob/zz')
    expect((await call('PUT', badDigest, { headers, body: bytes })).status).toBe(400)
    expect((await call('PUT', url, { headers, body: bytes })).status).toBe(201)
    expect((await call('PUT', url, { headers, body: bytes })).status).toBe(200)
    // a URL this node signed, for a blob nobody allocated
    const other = bytesOf(4)
    const otherDigest = await sha256.digest(other)
    const unallocated = await presignUpload(server.container.cradle.signer, {
      url: new URL(`${server.url}/blob/${base58btc.encode(otherDigest.bytes)}`),
      size: other.length,
      checksum: checksumOf(otherDigest),
      signingDate: new Date(),
      expiresIn: 600,
    })
    expect((await call('PUT', unallocated.url, { headers: unallocated.headers, body: other })).status).toBe(
      403,
    )
  })
})

describe('blob reads and deletes', () => {
  it('answers each read outcome as described, on the socket fast path', async () => {
    const z = await stored(bytesOf(5))
    const get = (headers: Record<string, string> = {}, path = `/blob/${z}`) => call('GET', path, { headers })
    const whole = await get()
    expect(whole.status).toBe(200)
    expect((await call('HEAD', `/blob/${z}`)).status).toBe(200)
    expect((await get({ range: 'bytes=0-9' })).status).toBe(206)
    expect((await get({ range: 'bytes=0-9,20-29' })).status).toBe(206)
    expect((await get({ 'if-none-match': whole.headers.get('etag') as string })).status).toBe(304)
    expect((await get({ 'if-match': '"other"' })).status).toBe(412)
    expect((await get({ range: 'bytes=5000-' })).status).toBe(416)
    expect((await get({}, `/blob/${await zOf(bytesOf(6))}`)).status).toBe(404)
    expect((await get({}, '/blob/not-a-digest')).status).toBe(400)
  })

  it('answers each delete outcome as described', async () => {
    const z = await stored(bytesOf(7))
    expect((await call('DELETE', `/blob/${z}`)).status).toBe(401)
    expect((await call('DELETE', `/blob/${z}`, { headers: bearer })).status).toBe(204)
    expect((await call('DELETE', '/blob/zz', { headers: bearer })).status).toBe(400)
  })
})

describe('acceptances', () => {
  it('answers each outcome as described', async () => {
    const bytes = bytesOf(8)
    const digest = await stored(bytes)
    const accept = (body: unknown, headers: Record<string, string> = json) =>
      call('POST', '/acceptances', { headers, body: JSON.stringify(body) })
    expect((await accept({ space, blob: { digest, size: bytes.length } })).status).toBe(201)
    expect((await accept({ space, blob: { digest, size: bytes.length + 1 } })).status).toBe(400)
    expect(
      (await accept({ space, blob: { digest, size: bytes.length } }, { 'content-type': 'application/json' }))
        .status,
    ).toBe(401)
    const stranger = (await ed25519.generate()).did()
    expect((await accept({ space: stranger, blob: { digest, size: bytes.length } })).status).toBe(403)
    expect((await accept({ space, blob: { digest: await zOf(bytesOf(9)), size: 10 } })).status).toBe(404)
    const wrongType = { ...bearer, 'content-type': 'text/plain' }
    expect((await accept({ space, blob: { digest, size: bytes.length } }, wrongType)).status).toBe(415)
  })
})

describe('claims and receipts', () => {
  it('answers claims as described', async () => {
    const node = await ed25519.generate()
    const claim = await delegate({
      issuer: node,
      audience: node,
      capabilities: [{ can: 'assert/location', with: node.did() }],
    })
    await server.container.cradle.claims.put(claim)
    expect((await call('GET', `/claim/${claim.cid}`)).status).toBe(200)
    const unknown = CID.createV1(0x71, await sha256.digest(bytesOf(10)))
    expect((await call('GET', `/claim/${unknown}`)).status).toBe(404)
    expect((await call('GET', '/claim/not-a-cid')).status).toBe(400)
  })

  it('answers receipts as described', async () => {
    const car = { ...bearer, 'content-type': 'application/vnd.ipld.car' }
    const archive = await encodeEntry(await retrievalReceipt(1))
    expect((await call('POST', '/receipts', { headers: car, body: archive.bytes })).status).toBe(201)
    expect((await call('POST', '/receipts', { headers: car, body: 'not a car' })).status).toBe(400)
    const noToken = { 'content-type': 'application/vnd.ipld.car' }
    expect((await call('POST', '/receipts', { headers: noToken, body: archive.bytes })).status).toBe(401)
    const batch = await server.container.cradle.journal.forceRotate()
    expect((await call('GET', `/receipts/${batch}`)).status).toBe(200)
    expect(
      (await call('GET', `/receipts/${CID.createV1(0x0202, await sha256.digest(bytesOf(11)))}`)).status,
    ).toBe(404)
    expect((await call('GET', '/receipts/not-a-cid')).status).toBe(400)
  })
})

describe('CARs and blocks', () => {
  it('answers imports, exports and block reads as described', async () => {
    const { root, blocks } = sampleDag()
    const car = carOf([root], blocks)
    const post = (body: string | Uint8Array, headers: Record<string, string> = bearer) =>
      call('POST', '/car', { headers: { ...headers, 'content-type': 'application/vnd.ipld.car' }, body })
    expect((await post(car)).status).toBe(201)
    expect((await post(car)).status).toBe(200)
    expect((await post('not a car')).status).toBe(400)
    expect((await post(car, {})).status).toBe(401)
    const missing = rawBlock(bytesOf(12)).cid
    expect((await call('GET', `/car/${root}`)).status).toBe(200)
    expect((await call('GET', `/car/${missing}`)).status).toBe(404)
    expect((await call('GET', '/car/not-a-cid')).status).toBe(400)
    const block = await call('GET', `/block/${root}`)
    expect(block.status).toBe(200)
    expect(
      (
        await call('GET', `/block/${root}`, {
          headers: { 'if-none-match': block.headers.get('etag') as string },
        })
      ).status,
    ).toBe(304)
    expect((await call('GET', `/block/${missing}`)).status).toBe(404)
    expect((await call('GET', '/block/not-a-cid')).status).toBe(400)
  })
})

describe('the Trustless Gateway', () => {
  it('answers blocks, CARs and each refusal as described', async () => {
    const { root, blocks } = sampleDag()
    const car = carOf([root], blocks)
    const headers = { ...bearer, 'content-type': 'application/vnd.ipld.car' }
    expect((await call('POST', '/car', { headers, body: car })).status).toBeLessThan(300)
    const raw = await call('GET', `/ipfs/${root}?format=raw`)
    expect(raw.status).toBe(200)
    expect(raw.headers.get('content-type')).toBe('application/vnd.ipld.raw')
    const etag = raw.headers.get('etag') as string
    expect(
      (await call('GET', `/ipfs/${root}?format=raw`, { headers: { 'if-none-match': etag } })).status,
    ).toBe(304)
    const exported = await call('GET', `/ipfs/${root}`, { headers: { accept: 'application/vnd.ipld.car' } })
    expect(exported.status).toBe(200)
    expect((await call('HEAD', `/ipfs/${root}?format=car`)).status).toBe(200)
    const missing = rawBlock(bytesOf(13)).cid
    expect((await call('GET', `/ipfs/${missing}?format=raw`)).status).toBe(404)
    expect(
      (await call('GET', `/ipfs/${missing}?format=raw`, { headers: { 'cache-control': 'only-if-cached' } }))
        .status,
    ).toBe(412)
    expect((await call('GET', '/ipfs/not-a-cid?format=raw')).status).toBe(400)
    expect((await call('GET', `/ipfs/${root}/a?format=raw`)).status).toBe(400)
    expect((await call('GET', `/ipfs/${root}`, { headers: { accept: 'text/html' } })).status).toBe(406)
  })
})

describe('labels, owners, repos and gc', () => {
  const car = { ...bearer, 'content-type': 'application/vnd.ipld.car' }

  it('answers each label outcome as described', async () => {
    const ref = await stored(bytesOf(12))
    const name = encodeURIComponent('actor/1/head')
    const put = (body: unknown, headers: Record<string, string> = {}) =>
      call('PUT', `/labels/${name}`, { headers: { ...json, ...headers }, body: JSON.stringify(body) })
    const created = await put({ ref, owner: 'did:plc:openapi' }, { 'if-none-match': '*' })
    expect(created.status).toBe(201)
    const version = created.headers.get('etag') as string
    expect((await put({ ref }, { 'if-match': version })).status).toBe(200)
    expect((await put({ ref }, { 'if-match': version })).status).toBe(412)
    expect((await put({ ref: 'nope' })).status).toBe(400)
    expect((await put({ ref: await zOf(bytesOf(13)) })).status).toBe(422)
    expect(
      (await call('PUT', `/labels/${name}`, { headers: { 'content-type': 'application/json' }, body: '{}' }))
        .status,
    ).toBe(401)
    expect((await call('GET', `/labels/${name}`)).status).toBe(200)
    expect((await call('GET', '/labels/missing')).status).toBe(404)
    expect((await call('GET', '/labels/a%00b')).status).toBe(400)
    expect((await call('GET', '/labels?prefix=actor%2F&limit=10')).status).toBe(200)
    expect((await call('GET', '/labels?limit=0')).status).toBe(400)
    expect(
      (await call('DELETE', `/labels/${name}`, { headers: { ...bearer, 'if-match': '"old"' } })).status,
    ).toBe(412)
    expect((await call('DELETE', `/labels/${name}`)).status).toBe(401)
    expect((await call('DELETE', `/labels/${name}`, { headers: bearer })).status).toBe(204)
  })

  it('answers each owner outcome as described', async () => {
    expect((await call('GET', `/owners/${space}`)).status).toBe(200)
    expect((await call('GET', `/owners/${space}/blobs?limit=5`)).status).toBe(200)
    expect((await call('GET', '/owners/not-a-did')).status).toBe(400)
    expect((await call('GET', '/owners/not-a-did/blobs')).status).toBe(400)
    expect((await call('DELETE', '/owners/did:plc:openapi')).status).toBe(401)
    expect((await call('DELETE', '/owners/did:plc:openapi', { headers: bearer })).status).toBe(200)
    expect((await call('DELETE', '/owners/nope', { headers: bearer })).status).toBe(400)
  })

  it('answers each repo outcome as described', async () => {
    const did = 'did:plc:openapirepo'
    const one = commitCar('one', null)
    expect(
      (await call('PUT', `/repos/${did}`, { headers: { ...car, 'if-none-match': '*' }, body: one.bytes }))
        .status,
    ).toBe(201)
    const two = commitCar('two', one.commit)
    const since = { 'if-match': `"${one.commit.cid}"` }
    expect(
      (await call('PUT', `/repos/${did}`, { headers: { ...car, ...since }, body: two.bytes })).status,
    ).toBe(200)
    expect(
      (await call('PUT', `/repos/${did}`, { headers: { ...car, ...since }, body: two.bytes })).status,
    ).toBe(412)
    expect((await call('PUT', `/repos/${did}`, { headers: car, body: 'not a car' })).status).toBe(400)
    expect((await call('PUT', `/repos/${did}`, { headers: bearer, body: two.bytes })).status).toBe(415)
    expect((await call('PUT', `/repos/${did}`, { body: two.bytes })).status).toBe(401)
    expect((await call('GET', `/repos/${did}`)).status).toBe(200)
    expect((await call('GET', `/repos/${did}/head`)).status).toBe(200)
    expect((await call('GET', '/repos/did:plc:none/head')).status).toBe(404)
    expect((await call('GET', '/repos/did:plc:none')).status).toBe(404)
    expect((await call('GET', '/repos/nope/head')).status).toBe(400)
    expect((await call('DELETE', `/repos/${did}`)).status).toBe(401)
    expect((await call('DELETE', `/repos/${did}`, { headers: bearer })).status).toBe(200)
  })

  it('answers each gc outcome as described', async () => {
    expect((await call('POST', '/gc?dryRun=1', { headers: bearer })).status).toBe(200)
    expect((await call('POST', '/gc', { headers: bearer })).status).toBe(200)
    expect((await call('POST', '/gc?dryRun=maybe', { headers: bearer })).status).toBe(400)
    expect((await call('POST', '/gc')).status).toBe(401)
  })
})

it('exercised every operation of the description', () => {
  const exercised = new Set(checker.seen().keys())
  expect(checker.operations().filter((operation) => !exercised.has(operation))).toEqual([])
})
