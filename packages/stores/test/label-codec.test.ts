import * as dagCbor from '@ipld/dag-cbor'
import { base32hex } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { decodeLabelRecord, encodeLabelRecord, type LabelRecord } from '../src/label/codec.js'
import { labelKey, labelNameOf } from '../src/label/names.js'
import { randomCid, randomDigest } from './fixtures.js'

/** What `@ipld/dag-cbor` writes for a record: the format's reference. */
function reference(record: LabelRecord): Uint8Array {
  if (record.deleted)
    return dagCbor.encode({ deleted: true, version: record.version, updatedAt: record.updatedAt })
  const ref = CID.asCID(record.ref) ?? record.ref.bytes
  return dagCbor.encode({
    ref,
    version: record.version,
    updatedAt: record.updatedAt,
    ...(record.owner === undefined ? {} : { owner: record.owner }),
    ...(record.previous === undefined
      ? {}
      : { previous: CID.asCID(record.previous) ?? record.previous.bytes }),
  })
}

describe('label records', () => {
  it('are written byte for byte as @ipld/dag-cbor writes them, and read back', async () => {
    const records: LabelRecord[] = [
      {
        deleted: false,
        ref: await randomDigest(),
        version: 'a'.repeat(24),
        updatedAt: 1_795_000_000_000,
        owner: undefined,
      },
      { deleted: false, ref: await randomCid(), version: 'v', updatedAt: 0, owner: 'did:plc:abc' },
      {
        deleted: false,
        ref: CID.parse('QmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4'),
        version: 'é'.repeat(30),
        updatedAt: 23,
        owner: `did:web:${'x'.repeat(300)}`,
      },
      { deleted: true, version: '0123456789abcdef01234567', updatedAt: 2 ** 40 },
      { deleted: false, ref: await randomDigest(), version: 'x', updatedAt: 255, owner: undefined },
      { deleted: false, ref: await randomDigest(), version: 'x', updatedAt: 65_536, owner: undefined },
      {
        deleted: false,
        ref: await randomCid(),
        version: 'm',
        updatedAt: 9,
        owner: 'did:plc:x',
        previous: await randomDigest(),
      },
      {
        deleted: false,
        ref: await randomDigest(),
        version: 'n',
        updatedAt: 1,
        owner: undefined,
        previous: await randomCid(),
      },
    ]
    for (const record of records) {
      const bytes = encodeLabelRecord(record)
      expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(reference(record)).toString('hex'))
      const read = decodeLabelRecord(bytes)
      expect(read.version).toBe(record.version)
      expect(read.updatedAt).toBe(record.updatedAt)
      if (!record.deleted && !read.deleted) {
        expect(Buffer.from(read.ref.bytes)).toEqual(Buffer.from(record.ref.bytes))
        expect(CID.asCID(read.ref) !== null).toBe(CID.asCID(record.ref) !== null)
        expect(read.owner).toBe(record.owner)
        expect(read.previous?.bytes).toEqual(record.previous?.bytes)
      }
    }
  })

  it('are read in any DAG-CBOR shape that has the fields (later versions may add some)', async () => {
    const ref = await randomDigest()
    const bytes = dagCbor.encode({ ref: ref.bytes, version: 'v2', updatedAt: 5, note: 'added later' })
    expect(decodeLabelRecord(bytes)).toMatchObject({ deleted: false, version: 'v2', updatedAt: 5 })
    expect(() => decodeLabelRecord(dagCbor.encode({ version: 'v' }))).toThrow(/updatedAt/)
    expect(() => decodeLabelRecord(dagCbor.encode({ ref: 'text', version: 'v', updatedAt: 1 }))).toThrow(
      /ref/,
    )
    expect(() => decodeLabelRecord(new Uint8Array([0xa1]))).toThrow()
  })
})

describe('label keys', () => {
  it('are the base32hex of the UTF-8 name, for ASCII and other names alike', () => {
    for (const name of [
      'actor/123/head',
      'did:plc:abc:chain-head',
      'é/日本/🙂',
      '~',
      ' x ',
      'a'.repeat(512),
    ]) {
      const key = labelKey(name)
      expect(key).toBe(base32hex.baseEncode(new TextEncoder().encode(name)))
      expect(labelNameOf(key)).toBe(name)
    }
    expect(labelNameOf('not base32hex!')).toBeUndefined()
    expect(() => labelKey('a'.repeat(513))).toThrow(/513 bytes/)
    expect(() => labelKey('tab\there')).toThrow(/U\+0009/)
  })
})
