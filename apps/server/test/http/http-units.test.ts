import {
  InvalidDigestError,
  NotFoundError,
  RangeNotSatisfiableError,
  UnavailableError,
} from '@strata/blobstore'
import { describe, expect, it } from 'vitest'
import { HttpError } from '../../src/errors.js'
import {
  ERROR_STATUS,
  errorResponse,
  ifMatchHolds,
  ifNoneMatchMatches,
  ifRangeHolds,
  multipartBody,
  parseDigest,
  parseRange,
  planMultipart,
  statusOf,
  toErrorResponse,
  toReadableStream,
} from '../../src/http/index.js'

describe('parseRange (range-parser + RFC 9110 corrections)', () => {
  it.each([
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-99', 100, { kind: 'partial', ranges: [{ start: 0, end: 99, length: 100 }] }],
    ['bytes=0-999', 100, { kind: 'partial', ranges: [{ start: 0, end: 99, length: 100 }] }],
    ['bytes=90-', 100, { kind: 'partial', ranges: [{ start: 90, end: 99, length: 10 }] }],
    ['bytes=-10', 100, { kind: 'partial', ranges: [{ start: 90, end: 99, length: 10 }] }],
    ['bytes=-1000', 100, { kind: 'partial', ranges: [{ start: 0, end: 99, length: 100 }] }],
    [
      'bytes=0-1, ,5-6',
      100,
      {
        kind: 'partial',
        ranges: [
          { start: 0, end: 1, length: 2 },
          { start: 5, end: 6, length: 2 },
        ],
      },
    ],
    [
      'bytes=5-6,0-1',
      100,
      {
        kind: 'partial',
        ranges: [
          { start: 5, end: 6, length: 2 },
          { start: 0, end: 1, length: 2 },
        ],
      },
    ],
    ['bytes=0-5,3-9', 100, { kind: 'partial', ranges: [{ start: 0, end: 9, length: 10 }] }],
    ['bytes=0-1,200-300', 100, { kind: 'partial', ranges: [{ start: 0, end: 1, length: 2 }] }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=-5', 0, { kind: 'full' }],
    ['bytes=9-3', 100, { kind: 'full' }],
    ['bytes=abc', 100, { kind: 'full' }],
    ['bytes=1-2-3', 100, { kind: 'full' }],
    ['items=0-1', 100, { kind: 'full' }],
    ['bytes 0-1', 100, { kind: 'full' }],
    ['bytes=', 100, { kind: 'full' }],
    [
      'bytes=0-99999999999999999999999',
      100,
      { kind: 'partial', ranges: [{ start: 0, end: 99, length: 100 }] },
    ],
  ])('%s on %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected)
  })

  it('ignores a request for more than maxRanges parts', () => {
    expect(parseRange('bytes=0-0,2-2,4-4', 100, { maxRanges: 2 })).toEqual({ kind: 'full' })
    expect(parseRange('bytes=0-0,2-2', 100, { maxRanges: 2 }).kind).toBe('partial')
  })
})

describe('conditionals', () => {
  const etag = '"zQmX"'
  it('If-None-Match compares weakly', () => {
    expect(ifNoneMatchMatches('"zQmX"', etag)).toBe(true)
    expect(ifNoneMatchMatches('W/"zQmX"', etag)).toBe(true)
    expect(ifNoneMatchMatches('"a", W/"zQmX"', etag)).toBe(true)
    expect(ifNoneMatchMatches(' * ', etag)).toBe(true)
    expect(ifNoneMatchMatches('zQmX', etag)).toBe(false)
    expect(ifNoneMatchMatches('"zQmY"', etag)).toBe(false)
  })
  it('If-Match compares strongly', () => {
    expect(ifMatchHolds('"zQmX"', etag)).toBe(true)
    expect(ifMatchHolds('*', etag)).toBe(true)
    expect(ifMatchHolds('W/"zQmX"', etag)).toBe(false)
  })
  it('If-Range holds only for our exact strong ETag', () => {
    expect(ifRangeHolds(null, etag)).toBe(true)
    expect(ifRangeHolds('"zQmX"', etag)).toBe(true)
    expect(ifRangeHolds('W/"zQmX"', etag)).toBe(false)
    expect(ifRangeHolds('Wed, 21 Oct 2015 07:28:00 GMT', etag)).toBe(false)
  })
})

describe('parseDigest', () => {
  it('answers the same multihash for z…, b… and CID forms', () => {
    const z = 'zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4'
    const fromZ = parseDigest(z)
    expect(parseDigest('bciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i').bytes).toEqual(fromZ.bytes)
    expect(parseDigest('QmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4').bytes).toEqual(fromZ.bytes)
    expect(parseDigest('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e').bytes).toEqual(
      fromZ.bytes,
    )
  })
  it('refuses a wrong-length sha2-256 with the blob store InvalidDigestError', () => {
    expect(() => parseDigest('zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L')).toThrow()
    expect(() => parseDigest('')).toThrow(HttpError)
  })
})

describe('the error table', () => {
  it('maps names to statuses, unknown to 500', () => {
    expect(statusOf(new NotFoundError('k'))).toBe(404)
    expect(statusOf(new RangeNotSatisfiableError({ start: 5 }, 3))).toBe(416)
    expect(statusOf(new InvalidDigestError(0x12, 'x'))).toBe(400)
    expect(statusOf(new UnavailableError('s3', 'down'))).toBe(503)
    expect(statusOf(new Error('x'))).toBe(500)
    expect(statusOf('thrown string')).toBe(500)
    expect(ERROR_STATUS.DigestMismatchError).toBe(409)
    expect(ERROR_STATUS.InsufficientStorageError).toBe(507)
  })
  it('adds Content-Range to a 416 and hides 5xx details', async () => {
    const response = toErrorResponse(new RangeNotSatisfiableError({ start: 5 }, 3))
    expect(response.headers.get('content-range')).toBe('bytes */3')
    const logged: unknown[] = []
    const hidden = toErrorResponse(new Error('secret'), {
      logger: { error: (details) => logged.push(details) },
    })
    expect(await hidden.json()).toEqual({
      error: { name: 'InternalError', message: 'internal server error' },
    })
    expect(logged).toHaveLength(1)
    const aborted = toErrorResponse(new DOMException('gone', 'AbortError'))
    expect(aborted.status).toBe(499)
  })
  it('errorResponse builds the JSON shape', async () => {
    const response = errorResponse(400, 'BadRequest', 'nope')
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await response.json()).toEqual({ error: { name: 'BadRequest', message: 'nope' } })
  })
})

describe('streaming helpers', () => {
  it('cancelling the ReadableStream returns the source iterator', async () => {
    let returned = false
    async function* source() {
      try {
        for (let i = 0; ; i++) yield new Uint8Array([i])
      } finally {
        returned = true
      }
    }
    const reader = toReadableStream(source()).getReader()
    await reader.read()
    await reader.cancel()
    expect(returned).toBe(true)
  })

  it('the multipart plan length equals the bytes generated', async () => {
    const data = new Uint8Array(50).map((_, i) => i)
    const plan = planMultipart(
      [
        { start: 0, end: 4, length: 5 },
        { start: 40, end: 49, length: 10 },
      ],
      50,
      'b0undary',
    )
    const chunks: Uint8Array[] = []
    for await (const chunk of multipartBody(plan, async (r) =>
      (async function* () {
        yield data.subarray(r.start, r.end + 1)
      })(),
    ))
      chunks.push(chunk)
    const body = Buffer.concat(chunks)
    expect(body.length).toBe(plan.length)
    expect(body.toString('latin1')).toBe(
      '--b0undary\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-4/50\r\n\r\n' +
        '\x00\x01\x02\x03\x04\r\n' +
        '--b0undary\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 40-49/50\r\n\r\n' +
        Buffer.from(data.subarray(40)).toString('latin1') +
        '\r\n--b0undary--\r\n',
    )
  })
})
