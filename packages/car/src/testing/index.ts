/**
 * The `BlockIndex` conformance suite, for strata's backends and yours: call
 * `blockIndexSuite(name, { create, destroy, supports })` in a vitest file. The CAR builders of
 * `./data` are re-exported.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto'
import { create as createDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BlockIndex, BlockIndexEntry, BlockLocation } from '../contract.js'

export * from './data.js'

/** What a backend can do; the suite adapts its cases to these flags. */
export interface BlockIndexCapabilities {
  /** Entries in the large-batch case. Default 5,000 (S3: keep it a few hundred). */
  largeBatch?: number
  /**
   * A second put of a (block, blob) pair at another location replaces the first (default true).
   * False: both are kept (the S3 layout, whose key is the location); both hold the block's bytes.
   */
  replacesPairs?: boolean
}

/** How the suite gets a block index to test. */
export interface BlockIndexSuiteOptions {
  /** Answers an opened block index. Called once per suite. */
  create(): Promise<BlockIndex>
  /** Closes and removes what `create` made. */
  destroy?(index: BlockIndex): Promise<void>
  supports?: BlockIndexCapabilities
}

/** A random multihash (`code` 0x12 sha2-256 by default; 0x13 and 0x00 identity too). */
export function randomMultihash(code = 0x12): MultihashDigest {
  const size = code === 0x13 ? 64 : code === 0x00 ? 11 : 32
  return createDigest(code, randomBytes(size))
}

const sameLocation = (location: BlockLocation) => ({
  blob: expect.objectContaining({ bytes: location.blob.bytes }),
  offset: location.offset,
  length: location.length,
})

/**
 * The block-index conformance suite: every backend must pass it. Digests are random per case, so
 * backends that keep state between runs (S3 buckets) are safe.
 */
export function blockIndexSuite(name: string, options: BlockIndexSuiteOptions): void {
  const largeBatch = options.supports?.largeBatch ?? 5000
  const replacesPairs = options.supports?.replacesPairs ?? true
  describe(`BlockIndex conformance: ${name}`, () => {
    let index: BlockIndex
    beforeAll(async () => {
      index = await options.create()
    })
    afterAll(async () => {
      await options.destroy?.(index)
    })

    it('knows nothing of a block never put', async () => {
      const block = randomMultihash()
      expect(await index.get(block)).toEqual([])
      expect(await index.has(block)).toBe(false)
    })

    it('answers the location put for a block, for each hash function', async () => {
      for (const code of [0x12, 0x13, 0x00]) {
        const block = randomMultihash(code)
        const location = { blob: randomMultihash(), offset: 59, length: 1024 }
        await index.putMany([{ block, location }])
        expect(await index.get(block)).toEqual([sameLocation(location)])
        expect(await index.has(block)).toBe(true)
      }
    })

    it(`keeps one location per blob holding the block; a second put for a blob ${replacesPairs ? 'replaces its entry' : 'adds one'}`, async () => {
      const block = randomMultihash()
      const [first, second] = [randomMultihash(), randomMultihash()]
      await index.putMany([
        { block, location: { blob: first, offset: 1, length: 10 } },
        { block, location: { blob: second, offset: 2, length: 10 } },
      ])
      await index.putMany([{ block, location: { blob: first, offset: 100, length: 10 } }])
      const found = await index.get(block)
      const byOffset = [...found].sort((a, b) => a.offset - b.offset)
      expect(byOffset).toEqual([
        ...(replacesPairs ? [] : [sameLocation({ blob: first, offset: 1, length: 10 })]),
        sameLocation({ blob: second, offset: 2, length: 10 }),
        sameLocation({ blob: first, offset: 100, length: 10 }),
      ])
    })

    it('does not confuse a block with one whose name it prefixes', async () => {
      const block = randomMultihash()
      const longer = createDigest(0x13, new Uint8Array([...block.digest, ...block.digest]))
      await index.putMany([{ block: longer, location: { blob: randomMultihash(), offset: 0, length: 1 } }])
      expect(await index.get(block)).toEqual([])
    })

    it('round-trips offsets past 4 GiB and zero lengths', async () => {
      const block = randomMultihash()
      const location = { blob: randomMultihash(), offset: 2 ** 40 + 7, length: 0 }
      await index.putMany([{ block, location }])
      expect(await index.get(block)).toEqual([sameLocation(location)])
    })

    it(`writes ${largeBatch} entries from a stream, in batches, every one readable`, async () => {
      const blob = randomMultihash()
      const blocks = Array.from({ length: largeBatch }, () => randomMultihash())
      async function* entries(): AsyncGenerator<BlockIndexEntry> {
        for (const [offset, block] of blocks.entries()) yield { block, location: { blob, offset, length: 7 } }
      }
      await index.putMany(entries())
      for (const offset of [0, 1, largeBatch >> 1, largeBatch - 1]) {
        const block = blocks[offset] as MultihashDigest
        expect(await index.get(block)).toEqual([sameLocation({ blob, offset, length: 7 })])
      }
    })

    it('deletes only the (block, blob) pairs named; a missing pair is not an error', async () => {
      const block = randomMultihash()
      const other = randomMultihash()
      const [kept, dropped] = [randomMultihash(), randomMultihash()]
      await index.putMany([
        { block, location: { blob: kept, offset: 1, length: 1 } },
        { block, location: { blob: dropped, offset: 2, length: 2 } },
        { block: other, location: { blob: dropped, offset: 3, length: 3 } },
      ])
      await index.deleteMany([
        { block, blob: dropped },
        { block: randomMultihash(), blob: dropped },
      ])
      expect(await index.get(block)).toEqual([sameLocation({ blob: kept, offset: 1, length: 1 })])
      expect(await index.has(other)).toBe(true)
      await index.deleteMany(
        (async function* () {
          yield { block, blob: kept }
          yield { block: other, blob: dropped }
        })(),
      )
      expect(await index.has(block)).toBe(false)
      expect(await index.get(other)).toEqual([])
    })

    it('refuses to write after its signal aborted', async () => {
      const block = randomMultihash()
      const controller = new AbortController()
      controller.abort(new Error('stop'))
      await expect(
        index.putMany([{ block, location: { blob: randomMultihash(), offset: 0, length: 1 } }], {
          signal: controller.signal,
        }),
      ).rejects.toThrow()
      expect(await index.has(block)).toBe(false)
    })
  })
}
