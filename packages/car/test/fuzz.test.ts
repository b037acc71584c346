import { CarBlockIterator } from '@ipld/car'
import * as dagCbor from '@ipld/dag-cbor'
import { chunked } from '@strata/objectstore/testing'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { describe, expect, it } from 'vitest'
import { cborLinks, multihashOfCid } from '../src/cbor-links.js'
import { linksOf } from '../src/index.js'
import {
  blockOf,
  carOf,
  cborBlock,
  headerOf,
  rawBlock,
  sampleDag,
  type TestBlock,
} from '../src/testing/data.js'
import { listableCarStore } from './helpers.js'

const TYPED = [
  'CarFormatError',
  'BlockTooLargeError',
  'HeaderTooLargeError',
  'UnsupportedHashError',
  'DigestMismatchError',
]

const hashes = fc.constantFrom('sha2-256', 'sha2-512', 'identity') as fc.Arbitrary<
  'sha2-256' | 'sha2-512' | 'identity'
>
const block: fc.Arbitrary<TestBlock> = fc.oneof(
  fc.tuple(fc.uint8Array({ maxLength: 600 }), hashes).map(([bytes, hash]) => rawBlock(bytes, hash)),
  fc
    .tuple(fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string())), hashes)
    .map(([value, hash]) => blockOf(dagCbor.encode(value), 0x71, hash)),
)
/** A valid CAR: some blocks, a node linking them (the root), in some order. */
const validCar = fc.oneof(
  fc.array(block, { minLength: 0, maxLength: 6 }).map((blocks) => {
    const root = cborBlock({ links: blocks.map((each) => each.cid) })
    return carOf([root.cid], [...blocks, root])
  }),
  fc.constant(null).map(() => {
    const { root, blocks } = sampleDag()
    return carOf([root], blocks)
  }),
)

/** Where the sections of a valid CAR are: header length, then each section's varint, CID and data starts. */
function layout(car: Uint8Array): {
  header: number
  sections: Array<{ start: number; cid: number; data: number; end: number }>
} {
  const sections = []
  let at = 0
  const varint = () => {
    let value = 0
    let shift = 0
    for (;;) {
      const byte = car[at++] as number
      value += (byte & 0x7f) * 2 ** shift
      shift += 7
      if (byte < 0x80) return value
    }
  }
  at = varint() + at
  const header = at
  while (at < car.byteLength) {
    const start = at
    const length = varint()
    const cid = at
    const [, rest] = CID.decodeFirst(car.subarray(at, at + length))
    sections.push({ start, cid, data: at + length - rest.byteLength, end: at + length })
    at += length
  }
  return { header, sections }
}

type Mutation = (car: Uint8Array) => Uint8Array
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map(
    (n): Mutation =>
      (car) =>
        car.subarray(0, n % (car.byteLength + 1)),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(
    ([n, bits]): Mutation =>
      (car) =>
        flip(car, n % car.byteLength, bits),
  ),
  // a flipped byte in a chosen part of a section: its varint, its CID or its data
  fc
    .tuple(fc.nat(), fc.constantFrom('varint', 'cid', 'data'), fc.nat(), fc.integer({ min: 1, max: 255 }))
    .map(
      ([which, part, n, bits]): Mutation =>
        (car) => {
          const { sections } = layout(car)
          const section = sections[which % Math.max(1, sections.length)]
          if (!section) return flip(car, n % car.byteLength, bits)
          const [from, to] =
            part === 'varint'
              ? [section.start, section.cid]
              : part === 'cid'
                ? [section.cid, section.data]
                : [section.data, section.end]
          return to > from ? flip(car, from + (n % (to - from)), bits) : car
        },
    ),
  // a section's length replaced by a huge one (up to 2^49), the rest left as it was
  fc.tuple(fc.nat(), fc.integer({ min: 2 ** 22, max: 2 ** 49 })).map(
    ([which, length]): Mutation =>
      (car) => {
        const { sections } = layout(car)
        const section = sections[which % Math.max(1, sections.length)]
        if (!section) return car
        const bytes: number[] = []
        let value = length
        while (value >= 0x80) {
          bytes.push((value % 0x80) | 0x80)
          value = Math.floor(value / 0x80)
        }
        bytes.push(value)
        return Buffer.concat([car.subarray(0, section.start), Buffer.from(bytes), car.subarray(section.cid)])
      },
  ),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 20 })).map(
    ([n, extra]): Mutation =>
      (car) => {
        const at = n % (car.byteLength + 1)
        return Buffer.concat([car.subarray(0, at), extra, car.subarray(at)])
      },
  ),
)

function flip(car: Uint8Array, at: number, bits: number): Uint8Array {
  const out = Buffer.from(car)
  out[at] = (out[at] as number) ^ bits
  return out
}

describe('fuzzing: mutated CARs', () => {
  it('either import with every block readable and verified, or fail typed leaving nothing', async () => {
    const outcomes = new Map<string, number>()
    const tally = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    await fc.assert(
      fc.asyncProperty(validCar, mutation, fc.integer({ min: 1, max: 4096 }), async (car, mutate, chunk) => {
        const bytes = mutate(car)
        const store = listableCarStore({ maxBlockSize: 4096, maxHeaderSize: 1024 })
        let imported = false
        try {
          await store.cars.importCar(chunked(bytes, chunk))
          imported = true
        } catch (error) {
          const { name, offset } = error as { name: string; offset: unknown }
          tally(name)
          expect(TYPED, String(error)).toContain(name)
          expect(typeof offset).toBe('number')
          expect(await store.keys()).toEqual({ blobs: [], index: [], records: [] })
        }
        if (!imported) return
        tally('imported')
        // accepted: a reference parser reads the same bytes, and every block reads back verified
        const iterator = await CarBlockIterator.fromBytes(bytes)
        for await (const { cid, bytes: data } of iterator) {
          expect(Buffer.from(await store.cars.getBlock(cid as CID))).toEqual(Buffer.from(data))
        }
      }),
      { numRuns: 400 },
    )
    // the mutations reach every kind of outcome
    for (const outcome of ['imported', 'CarFormatError', 'DigestMismatchError', 'BlockTooLargeError']) {
      expect(outcomes.get(outcome), outcome).toBeGreaterThan(0)
    }
  })

  it('refuses a CAR with a bad header typed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 40 }), async (header) => {
        const store = listableCarStore()
        const bytes = Buffer.concat([Buffer.from([header.byteLength]), header])
        await store.cars.importCar(bytes).then(
          () => expect(dagCbor.decode(header)).toMatchObject({ version: 1 }),
          async (error) => {
            expect(TYPED).toContain((error as Error).name)
            expect(await store.keys()).toEqual({ blobs: [], index: [], records: [] })
          },
        )
      }),
      { numRuns: 200 },
    )
    expect(headerOf([]).byteLength).toBeGreaterThan(0)
  })
})

describe('cborLinks', () => {
  const cid = fc.uint8Array({ minLength: 1, maxLength: 50 }).map((bytes) => rawBlock(bytes).cid)
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.uint8Array({ maxLength: 30 }),
      cid,
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 6 }), tie('node'), { maxKeys: 4 }),
    ),
  })).node

  it('finds the same links as decoding the block and walking the value', () => {
    fc.assert(
      fc.property(value, (node) => {
        const bytes = dagCbor.encode(node)
        const decoded = linksOf(CID.createV1(0x71, rawBlock(bytes).cid.multihash), bytes)
        const walked: string[] = []
        const walk = (item: unknown) => {
          const link = CID.asCID(item)
          if (link) walked.push(link.toString())
          else if (Array.isArray(item)) item.forEach(walk)
          else if (item && typeof item === 'object' && !(item instanceof Uint8Array))
            Object.values(item).forEach(walk)
        }
        walk(dagCbor.decode(bytes))
        expect(decoded?.map(String)).toEqual(walked)
        expect(cborLinks(bytes).map(String)).toEqual(walked)
      }),
      { numRuns: 500 },
    )
  })

  it('finds the multihash in the bytes of any CIDv0 or CIDv1, and refuses broken ones', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        hashes,
        fc.integer({ min: 0, max: 0x3fff }),
        (bytes, hash, codec) => {
          const { cid } = blockOf(bytes, codec, hash)
          expect(Buffer.from(multihashOfCid(cid.bytes))).toEqual(Buffer.from(cid.multihash.bytes))
          expect(() => multihashOfCid(cid.bytes.subarray(0, cid.bytes.byteLength - 1))).toThrow()
        },
      ),
    )
    const v0 = CID.createV0(rawBlock(new Uint8Array([1])).cid.multihash as MultihashDigest<0x12>)
    expect(Buffer.from(multihashOfCid(v0.bytes))).toEqual(Buffer.from(v0.multihash.bytes))
  })

  it('throws on truncated or trailing bytes', () => {
    const bytes = dagCbor.encode({ a: [1, 2, rawBlock(new Uint8Array([1])).cid] })
    expect(() => cborLinks(bytes.subarray(0, bytes.byteLength - 1))).toThrow()
    expect(() => cborLinks(Buffer.concat([bytes, Buffer.from([0])]))).toThrow()
  })
})
