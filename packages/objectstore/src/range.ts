/**
 * The one byte-range type of strata and its one resolver. Every backend, the blob store and the
 * HTTP layer use these; nothing else defines a range.
 * @packageDocumentation
 */
import { RangeNotSatisfiableError } from './errors.js'

/**
 * A byte range, as an HTTP `Range` element names one:
 * - `{ start, end }`: bytes `start` to `end`, both inclusive (`bytes=a-b`);
 * - `{ start }`: from `start` to the end (`bytes=a-`);
 * - `{ suffix }`: the last `suffix` bytes (`bytes=-n`).
 *
 * An `end` at or past the object's end means "to the end" (RFC 9110 and S3 clamp it the same way).
 */
export type ByteRange = { start: number; end?: number } | { suffix: number }

/** A range resolved against an object's size: `start` and `end` inclusive, `length = end - start + 1`. */
export interface ResolvedRange {
  start: number
  end: number
  length: number
}

/**
 * Resolves an optional range against an object of `size` bytes. Without a range the whole object
 * is selected (`length` 0 and `end` -1 for an empty object). An `end` past the object is clamped
 * to its last byte; a suffix longer than the object selects all of it (so a suffix of an empty
 * object selects its 0 bytes).
 * @throws {RangeNotSatisfiableError} (carrying the range and `size`) when a bound is not a
 *   non-negative safe integer, `start >= size`, `end < start`, or `suffix` is 0.
 */
export function resolveRange(range: ByteRange | undefined, size: number): ResolvedRange {
  if (range === undefined) return { start: 0, end: size - 1, length: size }
  if ('suffix' in range) {
    if (!isOffset(range.suffix) || range.suffix === 0) throw new RangeNotSatisfiableError(range, size)
    const length = Math.min(range.suffix, size)
    return { start: size - length, end: size - 1, length }
  }
  const { start } = range
  const end = range.end ?? size - 1
  if (!isOffset(start) || !isOffset(end) || start >= size || end < start) {
    throw new RangeNotSatisfiableError(range, size)
  }
  const last = Math.min(end, size - 1)
  return { start, end: last, length: last - start + 1 }
}

/** Whether `range` is well formed whatever the object's size (its bounds are offsets, `end >= start`, `suffix > 0`). */
export function isWellFormed(range: ByteRange): boolean {
  if ('suffix' in range) return isOffset(range.suffix) && range.suffix > 0
  return (
    isOffset(range.start) && (range.end === undefined || (isOffset(range.end) && range.end >= range.start))
  )
}

/** `bytes=…` of a range, as a `Range` request header writes it. */
export function rangeHeaderOf(range: ByteRange): string {
  if ('suffix' in range) return `bytes=-${range.suffix}`
  return `bytes=${range.start}-${range.end ?? ''}`
}

function isOffset(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0
}
