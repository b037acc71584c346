/**
 * `POST /car`: a CAR streamed into `CarStore.importCar`. Every status, and after each bad input
 * nothing stored: no blob, no staging object, no index entry, no record.
 */
import { createHash } from 'node:crypto'
import { carOf, cborBlock, headerOf, rawBlock, sampleDag, sectionOf } from '@strata/car/testing/data'
import { varint } from 'multiformats'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { describe, expect, it } from 'vitest'
import {
  bearer,
  carApp,
  chunked,
  contentDigest,
  expectError,
  PUBLIC,
  postCar,
} from '../helpers/car-fixtures.js'

const zOf = (bytes: Uint8Array) =>
  base58btc.encode(createDigest(0x12, createHash('sha256').update(bytes).digest()).bytes)

describe('POST /car', () => {
  it('imports a CAR (Content-Length): 201 { digest, size, roots, blocks, index }, blocks readable', async () => {
    const { app, cars } = carApp()
    const dag = sampleDag()
    const car = carOf([dag.root], dag.blocks)
    const res = await postCar(app, car, { 'content-length': String(car.length) })
    expect(res.status).toBe(201)
    expect(res.headers.get('connection')).toBeNull()
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toEqual({
      digest: zOf(car),
      size: car.length,
      roots: [dag.root.toString()],
      blocks: dag.blocks.length,
      index: expect.stringMatching(/^bag/),
    })
    expect(res.headers.get('location')).toBe(`${PUBLIC}/blob/${zOf(car)}`)
    for (const block of dag.blocks)
      expect(Buffer.from(await cars.getBlock(block.cid))).toEqual(Buffer.from(block.bytes))

    const again = await postCar(app, car, { 'content-length': String(car.length) })
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual(body)
  })

  it('accepts a chunked body (no Content-Length)', async () => {
    const { app, cars } = carApp()
    const dag = sampleDag()
    const car = carOf([dag.root], dag.blocks)
    const res = await postCar(app, chunked(car, 100))
    expect(res.status).toBe(201)
    expect(((await res.json()) as { digest: string }).digest).toBe(zOf(car))
    expect(await cars.hasBlock(dag.root)).toBe(true)
  })

  it('checks a Content-Digest (RFC 9530): a match imports, a mismatch is 409 with nothing stored', async () => {
    const { app, keys } = carApp()
    const dag = sampleDag()
    const car = carOf([dag.root], dag.blocks)
    const length = { 'content-length': String(car.length) }
    const other = contentDigest(new Uint8Array([1, 2, 3]))
    const wrong = await postCar(app, car, { ...length, 'content-digest': other })
    await expectError(wrong, 409, 'DigestMismatchError')
    expect(await keys()).toEqual({ blobs: [], index: [], records: [] })

    // other algorithms beside sha-256 are ignored
    const digest = `sha-512=:${createHash('sha512').update(car).digest('base64')}:, ${contentDigest(car)}`
    const res = await postCar(app, car, { ...length, 'content-digest': digest })
    expect(res.status).toBe(201)
  })

  it('refuses a bad or unusable Content-Digest before reading the body', async () => {
    const { app, keys } = carApp()
    const dag = sampleDag()
    const car = carOf([dag.root], dag.blocks)
    const length = { 'content-length': String(car.length) }
    const cases: Array<[Record<string, string>, number, string, RegExp]> = [
      [{ ...length, 'content-digest': 'sha-256=abc' }, 400, 'BadRequest', /content-digest/],
      [{ ...length, 'content-digest': 'not a dictionary!' }, 400, 'BadRequest', /RFC 9530/],
      [{ ...length, 'content-digest': 'sha-512=:AAAA:' }, 400, 'BadRequest', /no sha-256/],
      [{ ...length, 'content-digest': 'sha-256=:AAAA:' }, 400, 'BadRequest', /32-byte/],
      [{ 'content-digest': contentDigest(car) }, 411, 'LengthRequired', /content-length/],
      [{ 'content-length': 'ten' }, 400, 'BadRequest', /content-length/],
    ]
    for (const [headers, status, name, message] of cases) {
      const body = headers['content-length'] === undefined ? chunked(car) : car
      await expectError(await postCar(app, body, headers), status, name, message)
    }
    expect(await keys()).toEqual({ blobs: [], index: [], records: [] })
  })

  it('answers 401 without the bearer token, 413 over server.maxBlobSize (declared or streamed)', async () => {
    const { app, keys } = carApp(4096)
    const big = carOf([], [rawBlock(new Uint8Array(5000).fill(7))])
    const noToken = await app.request('/car', { method: 'POST', body: big })
    await expectError(noToken, 401, 'Unauthorized')
    const wrong = await app.request('/car', {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-token-at-all' },
      body: big,
    })
    await expectError(wrong, 401, 'Unauthorized')
    const declared = await postCar(app, big, { 'content-length': String(big.length) })
    await expectError(declared, 413, 'TooLargeError', /5\d{3} bytes exceeds the limit of 4096/)
    const streamed = await postCar(app, chunked(big))
    await expectError(streamed, 413, 'TooLargeError', /limit of 4096/)
    expect(await keys()).toEqual({ blobs: [], index: [], records: [] })
  })

  it('answers each malformed CAR with its status, offset and CID, and stores nothing', async () => {
    const { app, keys, cars } = carApp()
    const good = cborBlock({ hello: 'world' })
    const leaf = rawBlock(new TextEncoder().encode('a leaf'))
    const header = headerOf([good.cid])
    const tampered = new Uint8Array(leaf.bytes)
    tampered[0] = 0x41
    const blake = CID.createV1(0x55, createDigest(0xb220, new Uint8Array(32)))
    const hugeSection = new Uint8Array(varint.encodingLength(3 * 1024 * 1024))
    varint.encodeTo(3 * 1024 * 1024, hugeSection)
    const hugeHeader = new Uint8Array(varint.encodingLength(100 * 1024))
    varint.encodeTo(100 * 1024, hugeHeader)
    const whole = carOf([good.cid], [good, leaf])
    const cases: Array<{ body: Uint8Array; status: number; name: string; message: RegExp }> = [
      {
        body: new TextEncoder().encode('not a CAR'),
        status: 400,
        name: 'CarFormatError',
        message: /at byte 0/,
      },
      { body: new Uint8Array(), status: 400, name: 'CarFormatError', message: /at byte 0/ },
      {
        body: whole.subarray(0, whole.length - 3),
        status: 400,
        name: 'CarFormatError',
        message: new RegExp(`at byte ${header.length + sectionOf(good.cid, good.bytes).length}: truncated`),
      },
      { body: headerOf([good.cid], 2), status: 400, name: 'CarFormatError', message: /at byte 0/ },
      {
        body: Buffer.concat([header, sectionOf(good.cid, good.bytes), sectionOf(leaf.cid, tampered)]),
        status: 409,
        name: 'DigestMismatchError',
        message: new RegExp(
          `block ${leaf.cid} at byte ${header.length + sectionOf(good.cid, good.bytes).length}`,
        ),
      },
      {
        body: Buffer.concat([header, sectionOf(blake, new Uint8Array(32))]),
        status: 400,
        name: 'UnsupportedHashError',
        message: new RegExp(`block ${blake} at byte ${header.length}`),
      },
      {
        body: Buffer.concat([header, sectionOf(good.cid, good.bytes), hugeSection, new Uint8Array(64)]),
        status: 413,
        name: 'BlockTooLargeError',
        message: new RegExp(
          `block at byte ${header.length + sectionOf(good.cid, good.bytes).length} declares`,
        ),
      },
      {
        body: Buffer.concat([hugeHeader, new Uint8Array(64)]),
        status: 413,
        name: 'HeaderTooLargeError',
        message: /header declares 102400 bytes/,
      },
    ]
    for (const { body, status, name, message } of cases) {
      for (const form of ['declared', 'chunked'] as const) {
        const res =
          form === 'declared'
            ? await postCar(app, body, { 'content-length': String(body.length) })
            : await postCar(app, chunked(body, 7))
        await expectError(res, status, name, message)
        expect(res.headers.get('connection')).toBe('close') // the rest of the body is not drained
        expect(await keys(), `${name} (${form})`).toEqual({ blobs: [], index: [], records: [] })
      }
    }
    expect(await cars.hasBlock(good.cid)).toBe(false)
  })

  it('has the bearer scheme and its statuses in the OpenAPI document', () => {
    const { app } = carApp()
    const doc = app.getOpenAPIDocument({ openapi: '3.0.0', info: { title: 't', version: '1' } })
    const post = doc.paths?.['/car']?.post
    expect(post?.security).toEqual([{ bearer: [] }])
    expect(Object.keys(post?.responses ?? {}).sort()).toEqual(
      ['200', '201', '400', '401', '409', '411', '413'].sort(),
    )
    expect(bearer.authorization).toMatch(/^Bearer /)
  })
})
