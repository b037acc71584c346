/**
 * The `Range` fuzzing of `range-fuzz.test.ts` taken over HTTP: generated headers against a stored
 * 257-byte blob on each backend, every answer checked against the RFC 9110 reference —
 * 200 with the whole blob (ignored), 416 with `Content-Range: bytes *\/257`, or 206 with exactly
 * the blob's bytes (single part or `multipart/byteranges`). Fixed seed.
 */
import fc from 'fast-check'
import { sha256 } from 'multiformats/hashes/sha2'
import { beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS, type Ctx, useWriteCtx, z } from '../helpers/http-write-fixtures.js'
import { mutatedRange, reference, validRange } from '../helpers/range-reference.js'

const SIZE = 257
const BLOB = Uint8Array.from({ length: SIZE }, (_, i) => (i * 131 + 7) % 256)

/** The parts of a `multipart/byteranges` body: each part's range and bytes. */
function partsOf(body: Buffer): Array<{ start: number; end: number; bytes: Buffer }> {
  const parts: Array<{ start: number; end: number; bytes: Buffer }> = []
  const marker = /Content-Range: bytes (\d+)-(\d+)\/\d+\r\n\r\n/g
  const text = body.toString('latin1')
  for (const match of text.matchAll(marker)) {
    const start = Number(match[1])
    const end = Number(match[2])
    const from = (match.index ?? 0) + match[0].length
    parts.push({ start, end, bytes: body.subarray(from, from + end - start + 1) })
  }
  return parts
}

describe.each(BACKENDS)('Range over HTTP on %s (fuzzed against the reference)', (backend) => {
  const current = useWriteCtx(backend)
  let ctx: Ctx
  let path: string
  beforeEach(async () => {
    ctx = current()
    const digest = await sha256.digest(BLOB)
    await ctx.cradle.blobs.put(digest, SIZE, BLOB)
    path = `/blob/${z(digest)}`
  })

  it('every generated header gets the RFC 9110 answer, with exactly the stored bytes', async () => {
    // Values a Headers object accepts (no CR/LF/NUL, Latin-1); it trims them, as the wire would.
    const header = fc
      .oneof(
        validRange,
        mutatedRange,
        fc.string({ maxLength: 20 }).map((s) => `bytes=${s}`),
      )
      .filter((h) => /^[\t\x20-\x7e\x80-\xff]*$/.test(h))
    await fc.assert(
      fc.asyncProperty(header, async (raw) => {
        const sent = new Headers({ range: raw }).get('range') ?? ''
        const expected = reference(sent, SIZE)
        const res = await ctx.app.request(path, { headers: { range: raw } })
        const body = Buffer.from(await res.arrayBuffer())
        expect(res.headers.get('accept-ranges')).toBe('bytes')
        if (expected.kind === 'full') {
          expect(res.status).toBe(200)
          expect(body.equals(BLOB)).toBe(true)
        } else if (expected.kind === 'unsatisfiable') {
          expect(res.status).toBe(416)
          expect(res.headers.get('content-range')).toBe(`bytes */${SIZE}`)
          expect(JSON.parse(body.toString()).error.name).toBe('RangeNotSatisfiableError')
        } else if (expected.ranges.length === 1) {
          const [{ start, end }] = expected.ranges as [{ start: number; end: number; length: number }]
          expect(res.status).toBe(206)
          expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${SIZE}`)
          expect(body.equals(BLOB.subarray(start, end + 1))).toBe(true)
        } else {
          expect(res.status).toBe(206)
          expect(res.headers.get('content-type')).toMatch(/^multipart\/byteranges; boundary=/)
          expect(Number(res.headers.get('content-length'))).toBe(body.length)
          const parts = partsOf(body).sort((a, b) => a.start - b.start)
          expect(parts.map(({ start, end }) => ({ start, end, length: end - start + 1 }))).toEqual(
            expected.ranges,
          )
          for (const part of parts)
            expect(part.bytes.equals(BLOB.subarray(part.start, part.end + 1))).toBe(true)
        }
      }),
      { seed: 9110, numRuns: 300 },
    )
  })
})
