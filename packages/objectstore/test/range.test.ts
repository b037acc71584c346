import { type ByteRange, RangeNotSatisfiableError, rangeHeaderOf, resolveRange } from '@strata/objectstore'
import { describe, expect, it } from 'vitest'

describe('resolveRange', () => {
  it('selects the whole object without a range', () => {
    expect(resolveRange(undefined, 36)).toEqual({ start: 0, end: 35, length: 36 })
    expect(resolveRange(undefined, 0)).toEqual({ start: 0, end: -1, length: 0 })
  })

  it('resolves open-ended and closed ranges inclusively', () => {
    expect(resolveRange({ start: 10 }, 36)).toEqual({ start: 10, end: 35, length: 26 })
    expect(resolveRange({ start: 10, end: 19 }, 36)).toEqual({ start: 10, end: 19, length: 10 })
    expect(resolveRange({ start: 35, end: 35 }, 36)).toEqual({ start: 35, end: 35, length: 1 })
  })

  it('clamps an end past the object to its last byte (RFC 9110 §14.1.1, as S3 does)', () => {
    expect(resolveRange({ start: 0, end: 36 }, 36)).toEqual({ start: 0, end: 35, length: 36 })
    expect(resolveRange({ start: 30, end: 2 ** 53 - 1 }, 36)).toEqual({ start: 30, end: 35, length: 6 })
  })

  it('resolves suffixes from the end, a suffix longer than the object meaning all of it', () => {
    expect(resolveRange({ suffix: 6 }, 36)).toEqual({ start: 30, end: 35, length: 6 })
    expect(resolveRange({ suffix: 36 }, 36)).toEqual({ start: 0, end: 35, length: 36 })
    expect(resolveRange({ suffix: 100 }, 36)).toEqual({ start: 0, end: 35, length: 36 })
    expect(resolveRange({ suffix: 5 }, 0)).toEqual({ start: 0, end: -1, length: 0 })
  })

  it('throws RangeNotSatisfiableError carrying the range and size', () => {
    const cases: ByteRange[] = [
      { start: 36 },
      { start: 40, end: 50 },
      { start: 5, end: 4 },
      { start: -1 },
      { start: 0, end: Number.NaN },
      { start: 2 ** 53 },
      { suffix: 0 },
      { suffix: -1 },
      { suffix: 1.5 },
    ]
    for (const range of cases) {
      const error = (() => {
        try {
          resolveRange(range, 36)
        } catch (caught) {
          return caught
        }
        return undefined
      })()
      expect(error).toBeInstanceOf(RangeNotSatisfiableError)
      expect(error).toMatchObject({ name: 'RangeNotSatisfiableError', range, size: 36 })
    }
    expect(() => resolveRange({ start: 0 }, 0)).toThrow(RangeNotSatisfiableError)
  })

  it('writes each form as a Range header', () => {
    expect(rangeHeaderOf({ start: 3, end: 9 })).toBe('bytes=3-9')
    expect(rangeHeaderOf({ start: 3 })).toBe('bytes=3-')
    expect(rangeHeaderOf({ suffix: 9 })).toBe('bytes=-9')
  })
})
