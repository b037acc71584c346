import { randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import type { SuiteContext } from './context.js'
import { chunked, randomKey, readAll, utf8 } from './data.js'

/** `stat`, `move` and puts of an undeclared size. */
export function metadataCases(ctx: SuiteContext): void {
  it('stats an object without reading it: size, etag, and the etag changes with the bytes', async () => {
    const key = randomKey()
    await ctx.store.put(key, 5, utf8('first'))
    const first = await ctx.store.stat(key)
    expect(first.size).toBe(5)
    expect(first.etag).toMatch(/^\S+$/)
    const read = await ctx.store.get(key)
    expect(Buffer.from(await readAll(read.body)).toString()).toBe('first')
    expect(read.etag).toBe(first.etag)
    await ctx.store.put(key, 6, utf8('second'))
    const second = await ctx.store.stat(key)
    expect(second.size).toBe(6)
    expect(second.etag).not.toBe(first.etag)
    if (second.lastModified !== undefined) expect(second.lastModified).toBeInstanceOf(Date)
  })

  it('stats a missing key as NotFoundError', async () => {
    const key = randomKey()
    await expect(ctx.store.stat(key)).rejects.toMatchObject({ name: 'NotFoundError', key })
  })

  it('stores a body of undeclared size, whole or streamed, empty included', async () => {
    for (const bytes of [utf8('hello'), randomBytes(300_000), new Uint8Array(0)]) {
      const key = randomKey()
      await ctx.store.put(key, undefined, chunked(bytes, 65_536))
      expect((await ctx.store.stat(key)).size).toBe(bytes.byteLength)
      await ctx.expectContent(key, bytes)
    }
  })

  it('moves an object to another key, replacing what was there, and removes the source', async () => {
    const from = randomKey()
    const to = randomKey()
    const bytes = randomBytes(70_000)
    await ctx.store.put(from, bytes.length, bytes)
    await ctx.store.put(to, 3, utf8('old'))
    await ctx.store.move(from, to)
    await ctx.expectContent(to, bytes)
    await ctx.expectAbsent(from)
  })

  it('moves a missing key with NotFoundError and leaves the target alone', async () => {
    const from = randomKey()
    const to = randomKey()
    await ctx.store.put(to, 4, utf8('kept'))
    await expect(ctx.store.move(from, to)).rejects.toMatchObject({ name: 'NotFoundError' })
    expect(Buffer.from(await readAll((await ctx.store.get(to)).body)).toString()).toBe('kept')
  })
}
