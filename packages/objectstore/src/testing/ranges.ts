import { beforeAll, describe, expect, it } from 'vitest'
import type { ByteRange } from '../range.js'
import type { SuiteContext } from './context.js'
import { randomKey, readAll, utf8 } from './data.js'

/** Every range form against a 36-byte object: closed, open-ended, suffix, clamped, unsatisfiable. */
export function rangeCases(ctx: SuiteContext): void {
  describe('ranges of a 36-byte object', () => {
    const bytes = utf8('0123456789abcdefghijklmnopqrstuvwxyz')
    const key = randomKey()
    beforeAll(async () => {
      await ctx.store.put(key, bytes.length, bytes)
    })

    const satisfiable: ByteRange[] = [
      { start: 10 },
      { start: 10, end: 19 },
      { start: 0, end: 4 },
      { start: 30, end: 35 },
      { suffix: 6 },
      { suffix: 1 },
    ]
    for (const range of satisfiable) {
      it(`reads ${JSON.stringify(range)} with size still 36`, async () => {
        await ctx.expectContent(key, bytes, range)
      })
    }

    it('reads a single byte at either end', async () => {
      await ctx.expectContent(key, bytes, { start: 0, end: 0 })
      await ctx.expectContent(key, bytes, { start: 35, end: 35 })
    })

    it('clamps an end past the object to its last byte, as HTTP and S3 do', async () => {
      for (const range of [
        { start: 0, end: 36 },
        { start: 30, end: 1000 },
      ]) {
        const result = await ctx.store.get(key, { range })
        expect(result.range).toEqual({ start: range.start, end: 35, length: 36 - range.start })
        expect(Buffer.from(await readAll(result.body)).toString()).toBe(
          Buffer.from(bytes.subarray(range.start)).toString(),
        )
      }
    })

    it('reads a suffix longer than the object as the whole object', async () => {
      const result = await ctx.store.get(key, { range: { suffix: 100 } })
      expect(result.range).toEqual({ start: 0, end: 35, length: 36 })
      expect(Buffer.from(await readAll(result.body)).equals(Buffer.from(bytes))).toBe(true)
    })

    const unsatisfiable: ByteRange[] = [
      { start: 36 },
      { start: 40, end: 50 },
      { start: 10, end: 9 },
      { start: -1, end: 3 },
      { start: 1.5 },
      { suffix: 0 },
      { suffix: -2 },
    ]
    for (const range of unsatisfiable) {
      it(`rejects ${JSON.stringify(range)} with RangeNotSatisfiableError`, async () => {
        await expect(ctx.store.get(key, { range })).rejects.toMatchObject({
          name: 'RangeNotSatisfiableError',
          range,
          size: 36,
        })
      })
    }
  })

  it('reads a suffix of an empty object as its 0 bytes', async () => {
    const key = randomKey()
    await ctx.store.put(key, 0, new Uint8Array(0))
    const result = await ctx.store.get(key, { range: { suffix: 5 } })
    expect(result).toMatchObject({ size: 0, range: { start: 0, end: -1, length: 0 } })
    expect((await readAll(result.body)).byteLength).toBe(0)
  })
}
