import { Base32KeyEncoder, FlatfsKeyEncoder, PlainKeyEncoder } from '@strata/blobstore'
import { digestOf } from '@strata/blobstore/testing'
import { utf8 } from '@strata/objectstore/testing'
import { equals } from 'multiformats/bytes'
import { describe, expect, it } from 'vitest'

// The worked example of Piri's key encoders: sha2-256 of "hello world".
const digest = digestOf(utf8('hello world'))
const encoders = [
  [new Base32KeyEncoder(), 'ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i'],
  [new FlatfsKeyEncoder(), '32/ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i.data'],
  [new PlainKeyEncoder(), 'zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4'],
] as const

describe('key encoders', () => {
  for (const [encoder, key] of encoders) {
    describe(encoder.constructor.name, () => {
      it(`encodes sha2-256("hello world") as ${key}`, () => {
        expect(encoder.encode(digest)).toBe(key)
      })

      it('decodes its own keys back to the digest', () => {
        const decoded = encoder.decode(key)
        expect(decoded.code).toBe(0x12)
        expect(equals(decoded.bytes, digest.bytes)).toBe(true)
        const sha512 = digestOf(utf8('hello world'), 0x13)
        expect(equals(encoder.decode(encoder.encode(sha512)).bytes, sha512.bytes)).toBe(true)
      })

      it('refuses keys it would not produce with InvalidKeyError', () => {
        const foreign = [
          '',
          'SHARDING',
          '.temp',
          key.toUpperCase(),
          `${key}x`,
          key.slice(0, -1),
          'ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i.data',
          '33/ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i.data',
          'bciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i',
          'z!',
        ].filter((candidate) => candidate !== key)
        for (const candidate of foreign) {
          expect(() => encoder.decode(candidate), candidate).toThrow(
            expect.objectContaining({ name: 'InvalidKeyError' }),
          )
        }
      })
    })
  }
})
