import { randomBytes } from 'node:crypto'
import { chunked } from '@strata/objectstore/testing'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { describe, expect, it } from 'vitest'
import { inspectCar } from '../src/index.js'
import { carOf, cborBlock, headerOf, rawBlock, sampleDag, sectionOf } from '../src/testing/data.js'

describe('inspectCar', () => {
  it('reports version, roots, counts, codec and hash histograms, sizes', async () => {
    const { root, blocks } = sampleDag()
    const report = await inspectCar(chunked(carOf([root], blocks), 33))
    expect(report).toMatchObject({
      version: 1,
      blocks: 7,
      codecs: { 'dag-cbor': 1, 'dag-pb': 1, 'dag-json': 1, raw: 4 },
      hashes: { 'sha2-256': 5, 'sha2-512': 1, identity: 1 },
      totalBlockBytes: blocks.reduce((sum, block) => sum + block.bytes.byteLength, 0),
      largestBlock: { size: 3000 },
      outsideLinkCount: 0,
      outsideLinks: [],
      undecodable: 0,
    })
    expect(report.roots.map(String)).toEqual([root.toString()])
  })

  it('lists the links (and roots) that point outside the CAR, once each', async () => {
    const outside = rawBlock(randomBytes(8)).cid
    const absentRoot = cborBlock({ absent: true }).cid
    const node = cborBlock({ a: outside, b: outside, list: [outside] })
    const report = await inspectCar(carOf([node.cid, absentRoot], [node]))
    expect(report.outsideLinkCount).toBe(2)
    expect(report.outsideLinks.map(String).sort()).toEqual([outside.toString(), absentRoot.toString()].sort())
  })

  it('with verify off, reports any hash function; by default refuses it', async () => {
    const blake3 = CID.createV1(0x55, createDigest(0x1e, randomBytes(32)))
    const car = Buffer.concat([headerOf([blake3]), sectionOf(blake3, randomBytes(20))])
    await expect(inspectCar(car)).rejects.toMatchObject({ name: 'UnsupportedHashError' })
    expect((await inspectCar(car, { verify: false })).hashes).toEqual({ blake3: 1 })
  })

  it('counts blocks that do not decode with their codec', async () => {
    const junk = {
      cid: CID.createV1(0x71, createDigest(0x12, randomBytes(32))),
      bytes: new Uint8Array([0xff]),
    }
    const report = await inspectCar(carOf([junk.cid], [junk]), { verify: false })
    expect(report.undecodable).toBe(1)
  })
})
