import { randomBytes } from 'node:crypto'
import { chunked, readAll } from '@strata/objectstore/testing'
import { expect, it } from 'vitest'
import type { BlobStore } from '../contract.js'
import { digestOf, digestText as text } from './data.js'

/** `add`: content whose digest the caller does not know. */
export function addCases(blobs: () => BlobStore, staging?: () => Promise<string[]>): void {
  const expectNoStaging = async () => {
    if (staging !== undefined) expect(await staging()).toEqual([])
  }

  it('adds content of unknown digest under its sha2-256, with or without a declared size', async () => {
    for (const [bytes, size] of [
      [randomBytes(100_000), 100_000],
      [randomBytes(70_001), undefined],
      [new Uint8Array(0), 0],
    ] as const) {
      const result = await blobs().add(chunked(bytes, 8192), size === undefined ? {} : { size })
      expect(text(result.digest)).toBe(text(digestOf(bytes)))
      // The empty blob may be stored already (by another case).
      expect(result).toMatchObject({
        size: bytes.byteLength,
        created: bytes.byteLength > 0 ? true : result.created,
      })
      const read = await blobs().get(result.digest)
      expect(Buffer.from(await readAll(read.body)).equals(Buffer.from(bytes))).toBe(true)
    }
    await expectNoStaging()
  })

  it('adds content already stored as created: false, keeping one copy', async () => {
    const bytes = randomBytes(5000)
    expect((await blobs().add(bytes)).created).toBe(true)
    const again = await blobs().add(chunked(bytes, 1000))
    expect(again).toMatchObject({ size: 5000, created: false })
    expect(text(again.digest)).toBe(text(digestOf(bytes)))
    await expectNoStaging()
  })

  it('adds nothing when the body is not its declared size, or is aborted', async () => {
    const bytes = randomBytes(4096)
    await expect(blobs().add(bytes, { size: 5000 })).rejects.toMatchObject({ name: 'TooSmallError' })
    await expect(blobs().add(chunked(bytes, 100), { size: 4000 })).rejects.toMatchObject({
      name: 'TooLargeError',
    })
    const controller = new AbortController()
    async function* body() {
      yield bytes.subarray(0, 1000)
      controller.abort()
      yield bytes.subarray(1000)
    }
    await expect(blobs().add(body(), { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    })
    expect(await blobs().has(digestOf(bytes))).toBe(false)
    await expectNoStaging()
  })

  it('ends concurrent adds of the same content with one copy and no staging left', async () => {
    const bytes = randomBytes(64 * 1024 + 1)
    const results = await Promise.all(Array.from({ length: 6 }, () => blobs().add(chunked(bytes, 4096))))
    expect(results.every((result) => text(result.digest) === text(digestOf(bytes)))).toBe(true)
    expect(results.some((result) => result.created)).toBe(true)
    const read = await blobs().get(digestOf(bytes))
    expect(Buffer.from(await readAll(read.body)).equals(bytes)).toBe(true)
    await expectNoStaging()
  })
}
