/**
 * An independent reference recogniser of RFC 9110 §14.1/14.2 `Range` (for `bytes`) and
 * fast-check generators of valid and mutated headers, for the `range-fuzz*` tests. See
 * `range-fuzz.test.ts` for the grammar and the behaviour each class of header gets.
 */
import fc from 'fast-check'
import { DEFAULT_MAX_RANGES, type RangeRequest } from '../../src/http/protocol/ranges.js'

/** What the reference expects of `header` on a blob of `size` bytes: `partial` as merged runs. */
export function reference(header: string, size: number): RangeRequest {
  const equals = header.indexOf('=')
  if (equals === -1) return { kind: 'full' }
  const unit = header.slice(0, equals)
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(unit) || unit.toLowerCase() !== 'bytes') return { kind: 'full' }
  const set = header.slice(equals + 1)
  const pieces = set.split(',')
  const specs: string[] = []
  for (const [i, piece] of pieces.entries()) {
    // [ e ] *( OWS "," OWS [ e ] ): OWS may precede an element only after a comma, follow it only before one.
    if (/^[ \t]*$/.test(piece)) continue
    const body = piece
      .replace(i === 0 ? /^/ : /^[ \t]*/, '')
      .replace(i === pieces.length - 1 ? /$/ : /[ \t]*$/, '')
    if (body === '') continue
    if (!/^(\d+-\d*|-\d+)$/.test(body)) return { kind: 'full' }
    specs.push(body)
  }
  if (specs.length === 0) return { kind: 'full' }
  const wanted: Array<[number, number]> = []
  let nonZeroSuffix = false
  for (const spec of specs) {
    const [first = '', last = ''] = spec.split('-')
    if (first === '') {
      const length = Number(last)
      if (length > 0) nonZeroSuffix = true
      if (length > 0 && size > 0) wanted.push([Math.max(0, size - length), size - 1])
      continue
    }
    if (last !== '' && Number(last) < Number(first)) return { kind: 'full' }
    if (Number(first) < size)
      wanted.push([Number(first), last === '' ? size - 1 : Math.min(Number(last), size - 1)])
  }
  if (wanted.length === 0) return nonZeroSuffix && size === 0 ? { kind: 'full' } : { kind: 'unsatisfiable' }
  const runs = union(wanted)
  return runs.length > DEFAULT_MAX_RANGES ? { kind: 'full' } : { kind: 'partial', ranges: runs }
}

/** Maximal runs of the union of inclusive ranges (overlapping or adjacent ones joined), ascending. */
function union(
  ranges: ReadonlyArray<readonly [number, number]>,
): Array<{ start: number; end: number; length: number }> {
  const runs: Array<{ start: number; end: number; length: number }> = []
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = runs.at(-1)
    if (last !== undefined && start <= last.end + 1) {
      last.end = Math.max(last.end, end)
      last.length = last.end - last.start + 1
    } else runs.push({ start, end, length: end - start + 1 })
  }
  return runs
}

/** `parseRange`'s answer with its parts in ascending order (it keeps request order; the union is what counts). */
export function normalised(request: RangeRequest): RangeRequest {
  if (request.kind !== 'partial') return request
  return {
    kind: 'partial',
    ranges: union(request.ranges.map((r: { start: number; end: number }) => [r.start, r.end] as const)),
  }
}

const ows = fc.constantFrom('', ' ', '\t', '  ', ' \t')
const pos = fc.oneof(
  fc.nat(300),
  fc.constantFrom('0', '007', '99999999999999999999'),
  fc.bigInt(0n, 10n ** 30n),
)
/** Valid byte-range elements: int-range (last ≥ first), open int-range, suffix-range. */
const spec = fc.oneof(
  fc.tuple(fc.nat(300), fc.nat(300)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
  pos.map((p) => `${p}-`),
  pos.map((p) => `-${p}`),
)
const unit = fc.constantFrom('bytes', 'BYTES', 'Bytes', 'bYtEs')
/** Grammar-valid `Range` values, with OWS and empty list elements as §5.6.1 allows. */
export const validRange = fc
  .tuple(
    unit,
    fc.option(spec, { nil: '' }),
    fc.array(fc.tuple(ows, ows, fc.option(spec, { nil: '' })), { maxLength: 8 }),
  )
  .filter(([, first, rest]) => first !== '' || rest.some(([, , e]) => e !== ''))
  .map(([u, first, rest]) => `${u}=${first}${rest.map(([a, b, e]) => `${a},${b}${e}`).join('')}`)

export const blobSize = fc.oneof(fc.constantFrom(0, 1, 2, 100, 257), fc.nat(400))
/** Characters a mutation inserts: the grammar's own plus near misses. */
export const noise = fc.constantFrom(...'0123456789-,= \t;bBx+.\u00a0\u0660'.split(''))
/** A valid header with one to three characters inserted, deleted or replaced. */
export const mutatedRange = fc
  .tuple(
    validRange,
    fc.array(fc.tuple(fc.constantFrom('insert', 'delete', 'replace'), fc.nat(), noise), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([header, edits]) =>
    edits.reduce((text, [op, at, c]) => {
      const i = at % (text.length + 1)
      if (op === 'insert') return text.slice(0, i) + c + text.slice(i)
      if (op === 'delete') return text.slice(0, i) + text.slice(i + 1)
      return text.slice(0, i) + c + text.slice(i + 1)
    }, header),
  )
