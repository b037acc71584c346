import { RangeNotSatisfiableError, resolveRange } from '@strata/objectstore'
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

  it('throws RangeNotSatisfiableError carrying the range and size', () => {
    const cases = [
      { start: 36 },
      { start: 0, end: 36 },
      { start: 5, end: 4 },
      { start: -1 },
      { start: 0, end: Number.NaN },
      { start: 2 ** 53 },
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
})
