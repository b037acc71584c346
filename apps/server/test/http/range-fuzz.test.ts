/**
 * Property-based fuzzing of `parseRange` (`src/http/ranges.ts`) against an independent reference
 * recogniser of RFC 9110 §14.1/14.2, then of the read route over HTTP with the bytes checked
 * against the stored blob. Fixed seeds: the runs are the same on every machine.
 *
 * The reference (RFC 9110):
 *   ranges-specifier = range-unit "=" range-set        ; range-unit case-insensitive, "bytes" only
 *   range-set        = 1#range-spec                    ; §5.6.1: [ e ] *( OWS "," OWS [ e ] ), ≥ 1 e
 *   range-spec       = int-range / suffix-range / other-range
 *   int-range        = first-pos "-" [ last-pos ]      ; invalid when last-pos < first-pos
 *   suffix-range     = "-" suffix-length
 * `other-range` is for other units: in a `bytes` range-set it is invalid. What the server does:
 * - invalid (any element not an int-range / suffix-range, last < first, no element, another unit)
 *   → the header is ignored: 200 with the whole blob (RFC 9110 §14.2 "MAY ignore");
 * - valid, no element satisfiable (int-range first-pos ≥ size, suffix-length 0) → 416 with
 *   `Content-Range: bytes *\/size`; a non-zero suffix of an empty blob cannot be written as a
 *   Content-Range: 200;
 * - valid and satisfiable → 206 with the union of the satisfiable elements (clamped to the blob),
 *   overlapping/adjacent ones merged; more than `maxRanges` (16) parts after merging → 200.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_RANGES, parseRange, type RangeRequest } from '../../src/http/protocol/ranges.js'
import {
  blobSize,
  mutatedRange,
  noise,
  normalised,
  reference,
  validRange,
} from '../helpers/range-reference.js'

/** Same answer as the reference, on any header and size. */
const agrees = (header: string, n: number) => {
  expect(normalised(parseRange(header, n))).toEqual(reference(header, n))
}

describe('parseRange against an RFC 9110 reference recogniser', () => {
  it('hand-checked rows: the reference says so, and parseRange agrees', () => {
    const rows: Array<[string, number, RangeRequest['kind']]> = [
      ['bytes=0-1', 10, 'partial'],
      ['BYTES=0-1', 10, 'partial'],
      ['bytes=,0-1', 10, 'partial'],
      ['bytes=0-1 , ,\t2-3', 10, 'partial'],
      ['bytes= 0-1', 10, 'full'], // OWS before the first element
      ['bytes=\t0-1', 10, 'full'],
      ['bytes=0 -1', 10, 'full'], // no OWS inside a range-spec (range-parser would honour these four)
      ['bytes=0- 1', 10, 'full'],
      ['bytes=- 5', 10, 'full'],
      ['bytes =0-1', 10, 'full'],
      ['bytes=0-1;x', 10, 'full'], // other-range: not a bytes range
      ['bytes=5-2', 10, 'full'],
      ['bytes=,', 10, 'full'],
      ['bytes=10-', 10, 'unsatisfiable'],
      ['bytes=-0', 10, 'unsatisfiable'],
      ['bytes=-1', 0, 'full'],
      ['bytes=0-0', 0, 'unsatisfiable'],
      ['bytes=\u0660-1', 10, 'full'], // DIGIT is ASCII
    ]
    for (const [header, n, kind] of rows) {
      expect(reference(header, n).kind, header).toBe(kind)
      agrees(header, n)
    }
  })

  it('(1) arbitrary strings, with and without a bytes= prefix', () => {
    const header = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: noise, maxLength: 30 }).map((s) => `bytes=${s}`),
      fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => `bytes=${s}`),
    )
    fc.assert(fc.property(header, blobSize, agrees), { seed: 9110, numRuns: 4000 })
  })

  it('(2) grammar-generated valid headers', () => {
    fc.assert(fc.property(validRange, blobSize, agrees), { seed: 1401, numRuns: 4000 })
  })

  it('(3) mutations of valid headers', () => {
    fc.assert(fc.property(mutatedRange, blobSize, agrees), { seed: 1402, numRuns: 4000 })
  })

  it(`honours at most ${DEFAULT_MAX_RANGES} parts after merging; more → the whole blob`, () => {
    const parts = (n: number) => `bytes=${Array.from({ length: n }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`
    expect(parseRange(parts(DEFAULT_MAX_RANGES), 1000).kind).toBe('partial')
    expect(parseRange(parts(DEFAULT_MAX_RANGES + 1), 1000).kind).toBe('full')
    // 10,000 overlapping ranges merge into one: honoured, each byte once.
    expect(parseRange(`bytes=${'0-,'.repeat(10_000)}0-`, 1000)).toEqual({
      kind: 'partial',
      ranges: [{ start: 0, end: 999, length: 1000 }],
    })
  })
})
