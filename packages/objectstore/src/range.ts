import { type ByteRange, RangeNotSatisfiableError } from './errors.js'

/** A validated range: `start` and `end` inclusive, `length = end - start + 1`. */
export interface ResolvedRange {
  start: number
  end: number
  length: number
}

/**
 * Resolves an optional range against an object of `size` bytes. Without a range the whole object
 * is selected (`length` 0 and `end` -1 for an empty object). This is the one range validator all
 * backends share.
 * @throws {RangeNotSatisfiableError} when `start` or `end` is not a non-negative safe integer,
 *   `start >= size`, `end < start` or `end >= size`.
 */
export function resolveRange(range: ByteRange | undefined, size: number): ResolvedRange {
  if (range === undefined) return { start: 0, end: size - 1, length: size }
  const { start } = range
  const end = range.end ?? size - 1
  const integral = isOffset(start) && isOffset(end)
  if (!integral || start >= size || end < start || end >= size) {
    throw new RangeNotSatisfiableError(range, size)
  }
  return { start, end, length: end - start + 1 }
}

function isOffset(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0
}
