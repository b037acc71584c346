import type { ByteRange, ResolvedRange } from '@strata/objectstore'
import rangeParser from 'range-parser'

/**
 * What a `Range` header asks of a blob:
 * - `full`: no Range, or one that is ignored (RFC 9110 allows ignoring; we do for anything
 *   malformed, another unit, or too many parts): 200 with the whole blob;
 * - `partial`: one or more satisfiable ranges, in request order, overlapping/adjacent ones merged:
 *   206 (multipart/byteranges when more than one);
 * - `unsatisfiable`: well formed but no range overlaps the blob: 416 with `Content-Range: bytes *\/size`.
 */
export type RangeRequest =
  | { kind: 'full' }
  | { kind: 'partial'; ranges: ResolvedRange[] }
  | { kind: 'unsatisfiable' }

/** Options for {@link parseRange}. */
export interface ParseRangeOptions {
  /**
   * Most parts served after merging; a request for more is ignored (200 full). Every part costs a
   * backend read (an S3 request), so this bounds the work one request can cause. Default 16.
   */
  maxRanges?: number
}

/**
 * Default of {@link ParseRangeOptions.maxRanges} (`server.maxRanges`). Measured on flatfs: 64
 * one-byte parts cost several times one range; 16 bound the worst case to a few.
 */
export const DEFAULT_MAX_RANGES = 16

const FULL: RangeRequest = { kind: 'full' }
/**
 * A `bytes` range-set as RFC 9110 writes it: `1#range-spec` in the list syntax of §5.6.1
 * (`[ e ] *( OWS "," OWS [ e ] )`, so empty elements are allowed), each element an int-range
 * (`a-b`, `a-`) or a suffix-range (`-n`), ASCII digits only, no whitespace inside an element nor
 * before the first one. Linear: every repetition consumes a comma.
 */
const BYTE_RANGE_SET = /^(?:\d+-\d*|-\d+)?(?:[ \t]*,[ \t]*(?:\d+-\d*|-\d+)?)*$/
const INT_RANGE = /^(\d+)\s*-\s*(\d+)$/
const SUFFIX_RANGE = /^-\s*(\d+)$/

/**
 * Resolves a `Range` header against a blob of `size` bytes (RFC 9110 §14), with `range-parser`
 * doing the parsing, clamping and merging. range-parser facts this relies on: it answers `-2` for
 * a malformed header (no `=`, a part without `-`, a non-digit position), `-1` when no part is
 * satisfiable, and otherwise the ranges with `end` clamped to `size - 1`, parts starting past the
 * end dropped, and (`combine: true`) overlapping or adjacent parts merged in request order. It does
 * not check the unit, and it deviates from RFC 9110 in ways corrected here before it runs:
 * - the unit is compared case-insensitively with `bytes`; any other unit is ignored (200);
 * - a range-set outside the RFC 9110 grammar ({@link BYTE_RANGE_SET}) is ignored (200): range-parser
 *   trims whitespace inside an element or before the first one (`bytes= 0-1`, `bytes=0 - 1`,
 *   `bytes=- 5`) and would honour it;
 * - `a-b` with `b < a` is INVALID in RFC 9110 (range-parser: unsatisfiable): the header is ignored;
 * - a suffix `-n` longer than the blob means the whole blob (range-parser drops it as unsatisfiable);
 * - empty list elements (`bytes=0-1,,5-6`) are skipped, as RFC 9110 §5.6.1 asks.
 *
 * Merging (`combine: true`) is deliberate: it answers overlapping requests (`0-,0-,0-`, the
 * "Apache Killer" pattern) with each byte once. A request whose ranges merge into one gets a
 * single-part 206, which RFC 9110 §14.6 permits. An empty blob has no satisfiable int-range (416);
 * a non-zero suffix on it is satisfiable but cannot be written as a Content-Range, so it gets 200.
 */
export function parseRange(
  header: string | undefined,
  size: number,
  options: ParseRangeOptions = {},
): RangeRequest {
  if (header === undefined) return FULL
  const equals = header.indexOf('=')
  if (equals === -1 || header.slice(0, equals).toLowerCase() !== 'bytes') return FULL
  if (!BYTE_RANGE_SET.test(header.slice(equals + 1))) return FULL
  const parts: string[] = []
  let nonZeroSuffix = false
  for (const element of header.slice(equals + 1).split(',')) {
    const part = element.trim()
    if (part === '') continue
    const int = INT_RANGE.exec(part)
    if (int !== null && Number(int[2]) < Number(int[1])) return FULL
    const suffix = SUFFIX_RANGE.exec(part)
    if (suffix !== null) {
      const length = Number(suffix[1])
      if (length > 0) nonZeroSuffix = true
      parts.push(length > size ? `-${size}` : part)
      continue
    }
    parts.push(part)
  }
  if (parts.length === 0) return FULL
  const parsed = rangeParser(size, `bytes=${parts.join(',')}`, { combine: true })
  if (parsed === -2) return FULL
  if (parsed === -1) return size === 0 && nonZeroSuffix ? FULL : { kind: 'unsatisfiable' }
  if (parsed.length > (options.maxRanges ?? DEFAULT_MAX_RANGES)) return FULL
  return {
    kind: 'partial',
    ranges: parsed.map(({ start, end }) => ({ start, end, length: end - start + 1 })),
  }
}

const ONE_RANGE = /^bytes=(?:(\d{1,15})-(\d{0,15})|-(\d{1,15}))$/i

/**
 * The one range of a `Range` header that names exactly one (`bytes=a-b`, `bytes=a-`, `bytes=-n`),
 * without knowing the blob's size: what a single backend read can answer (the backend clamps an
 * end past the blob, resolves a suffix, and refuses a start past the end). Answers `undefined` for
 * anything else (no header, several ranges, or a header {@link parseRange} would ignore, such as
 * `a-b` with `b < a`): those need the size first.
 */
export function singleRange(header: string | undefined): ByteRange | undefined {
  if (header === undefined) return undefined
  const match = ONE_RANGE.exec(header)
  if (match === null) return undefined
  const [, first, last, suffix] = match
  if (suffix !== undefined) return { suffix: Number(suffix) }
  const start = Number(first)
  if (last === '' || last === undefined) return { start }
  const end = Number(last)
  return end < start ? undefined : { start, end }
}

/** `Content-Range` of a part: `bytes start-end/size`. */
export function contentRange(range: ResolvedRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`
}
