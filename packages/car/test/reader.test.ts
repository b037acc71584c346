import { randomBytes } from 'node:crypto'
import { CarIndexer } from '@ipld/car'
import { chunked } from '@strata/objectstore/testing'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { describe, expect, it } from 'vitest'
import { type CarBlock, CarReader, type CarReaderOptions } from '../src/index.js'
import { carOf, headerOf, rawBlock, sampleDag, sectionOf } from '../src/testing/data.js'

/** `count` fixed bytes: the refused inputs are the same on every run. */
const filler = (count: number) => Uint8Array.from({ length: count }, (_, i) => (i * 37 + 11) & 0xff)

/** Reads `car` in chunks of `size` bytes; answers the summary and blocks, or throws. */
async function read(car: Uint8Array, size = 64 * 1024, options: CarReaderOptions = {}) {
  const blocks: CarBlock[] = []
  const reader = new CarReader({ ...options, onBlock: (block) => blocks.push(block) })
  for await (const chunk of chunked(car, size)) await reader.write(chunk)
  return { ...(await reader.end()), list: blocks }
}

const { root, blocks } = sampleDag()
const car = carOf([root], blocks)
const headerLength = headerOf([root]).byteLength
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts))

describe('CarReader', () => {
  it('reads every block with the positions @ipld/car CarIndexer gives, whatever the chunking', async () => {
    const indexer = await CarIndexer.fromBytes(car)
    const expected = []
    for await (const entry of indexer) expected.push(entry)
    for (const size of [1, 7, 100, car.byteLength]) {
      const found = await read(car, size)
      expect(found.roots.map(String)).toEqual([root.toString()])
      expect(found.size).toBe(car.byteLength)
      expect(found.blocks).toBe(blocks.length)
      const positions = found.list.map((block) => ({
        cid: block.cid.toString(),
        offset: block.offset,
        blockOffset: block.blockOffset,
        blockLength: block.blockLength,
      }))
      expect(positions).toEqual(
        expected.map((entry) => ({
          cid: entry.cid.toString(),
          offset: entry.offset,
          blockOffset: entry.blockOffset,
          blockLength: entry.blockLength,
        })),
      )
    }
  })

  it('reads a last section under 8 bytes (an empty identity block), which carstream alone drops', async () => {
    const empty = rawBlock(new Uint8Array(0), 'identity')
    const found = await read(carOf([empty.cid], [empty]), 1)
    expect(found.list.map((block) => block.cid.toString())).toEqual([empty.cid.toString()])
    expect(found.list[0]?.blockLength).toBe(0)
  })

  it('reads a CAR without blocks', async () => {
    expect(await read(headerOf([root]))).toMatchObject({ blocks: 0, list: [], size: headerLength })
  })

  const refused: Array<[string, () => Uint8Array, Record<string, unknown>, CarReaderOptions?]> = [
    ['an empty body', () => new Uint8Array(0), { name: 'CarFormatError', offset: 0 }],
    ['a truncated header', () => car.subarray(0, headerLength - 3), { name: 'CarFormatError', offset: 0 }],
    [
      'a truncated section',
      () => car.subarray(0, headerLength + 10),
      { name: 'CarFormatError', offset: headerLength, reason: expect.stringMatching(/truncated section/) },
    ],
    [
      'a truncated varint',
      () => concat(headerOf([root]), new Uint8Array([0x80])),
      { name: 'CarFormatError', offset: headerLength, reason: expect.stringMatching(/truncated varint/) },
    ],
    [
      'a varint of nine bytes',
      () => concat(headerOf([root]), new Uint8Array(9).fill(0xff), filler(64)),
      { name: 'CarFormatError', offset: headerLength, reason: 'bad varint' },
    ],
    [
      'an empty section',
      () => concat(headerOf([root]), new Uint8Array([0])),
      { name: 'CarFormatError', offset: headerLength, reason: 'empty section' },
    ],
    [
      'a header over maxHeaderSize',
      () => concat(new Uint8Array([0x80, 0x80, 0x40]), filler(64)),
      { name: 'HeaderTooLargeError', offset: 0, length: 0x100000, limit: 65536 },
    ],
    [
      'a header that is not dag-cbor',
      () => concat(new Uint8Array([3]), new Uint8Array([0xff, 0xff, 0xff])),
      { name: 'CarFormatError', offset: 0 },
    ],
    [
      'a CARv2',
      () => concat(new Uint8Array([0x0a]), Buffer.from('a16776657273696f6e02', 'hex'), filler(40)),
      { name: 'CarFormatError', offset: 0, reason: expect.stringMatching(/CARv2/) },
    ],
    [
      'a block whose bytes do not hash to its CID',
      () => {
        const bad = Buffer.from(car)
        bad[bad.byteLength - 1] = (bad[bad.byteLength - 1] as number) ^ 1
        return bad
      },
      { name: 'DigestMismatchError', cid: expect.objectContaining({ bytes: blocks.at(-1)?.cid.bytes }) },
    ],
    [
      'a block hashed with blake3',
      () =>
        concat(headerOf([root]), sectionOf(CID.createV1(0x55, createDigest(0x1e, filler(32))), filler(9))),
      { name: 'UnsupportedHashError', code: 0x1e, offset: headerLength },
    ],
    [
      'a CID that runs past its section',
      () =>
        concat(
          headerOf([root]),
          new Uint8Array([10]),
          rawBlock(new TextEncoder().encode('fixed')).cid.bytes,
          filler(40),
        ),
      { name: 'CarFormatError', offset: headerLength },
    ],
  ]
  for (const [what, make, error, options] of refused) {
    it(`refuses ${what}: ${error.name}`, async () => {
      for (const size of [1, 1 << 20]) await expect(read(make(), size, options)).rejects.toMatchObject(error)
    })
  }

  it('refuses a section declaring more than maxBlockSize from its varint, before buffering it', async () => {
    const reader = new CarReader({ maxBlockSize: 1000 })
    await reader.write(headerOf([root]))
    // 1 GiB declared: refused at the varint, with the section's offset, while 10 bytes are in hand
    const varint = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x04])
    await expect(reader.write(concat(varint, randomBytes(10)))).rejects.toMatchObject({
      name: 'BlockTooLargeError',
      offset: headerLength,
      length: 2 ** 30,
    })
    await expect(reader.end()).rejects.toMatchObject({ name: 'BlockTooLargeError' })
  })

  it('refuses block data over maxBlockSize that fits the CID allowance, naming the CID', async () => {
    const block = rawBlock(randomBytes(1010))
    await expect(read(carOf([block.cid], [block]), 100, { maxBlockSize: 1000 })).rejects.toMatchObject({
      name: 'BlockTooLargeError',
      cid: expect.objectContaining({ bytes: block.cid.bytes }),
      length: 1010,
      limit: 1000,
      offset: headerOf([block.cid]).byteLength,
    })
  })

  it('checks large blocks off the main thread and still refuses a mismatch', async () => {
    const big = rawBlock(randomBytes(300_000), 'sha2-512')
    const good = carOf([big.cid], [big, big])
    expect((await read(good, 50_000)).blocks).toBe(2)
    const bad = Buffer.from(good)
    bad[bad.byteLength - 5] = (bad[bad.byteLength - 5] as number) ^ 0xff
    await expect(read(bad, 50_000)).rejects.toMatchObject({
      name: 'DigestMismatchError',
      cid: expect.objectContaining({ bytes: big.cid.bytes }),
    })
  })
})
