import { InvalidKeyError } from '@strata/objectstore'
import { shardOf } from '@strata/objectstore/flatfs/layout'
import { base32 } from 'multiformats/bases/base32'
import { base58btc } from 'multiformats/bases/base58'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { KeyEncoder } from './contract.js'

/**
 * Lowercase, unpadded base32 (RFC 4648) of the multihash bytes, without a multibase prefix:
 * `ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i` for sha2-256 of `hello world`.
 * Piri's flatfs key, and valid on every backend (flatfs' `[0-9a-z+-_=]` included).
 */
export class Base32KeyEncoder implements KeyEncoder {
  encode(digest: MultihashDigest): string {
    return base32.baseEncode(digest.bytes)
  }

  /** @throws {InvalidKeyError} not canonical base32 of a multihash. */
  decode(key: string): MultihashDigest {
    return canonical(this, key, () => base32.baseDecode(key))
  }
}

/**
 * The path of Piri's flatfs file for the blob, used as the S3 object key so a bucket mirrors a
 * flatfs tree: `<next-to-last/2 shard>/<base32>.data`, e.g.
 * `32/ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i.data`. Not valid on flatfs itself
 * (`/` and `.` are outside its charset): there use {@link Base32KeyEncoder}.
 */
export class FlatfsKeyEncoder implements KeyEncoder {
  readonly #base32 = new Base32KeyEncoder()

  encode(digest: MultihashDigest): string {
    const key = this.#base32.encode(digest)
    return `${shardOf(key)}/${key}.data`
  }

  /** @throws {InvalidKeyError} not `<shard>/<base32>.data` with the right shard. */
  decode(key: string): MultihashDigest {
    const match = /^([^/]{2})\/([^/]+)\.data$/.exec(key)
    const inner = match?.[2]
    if (inner === undefined) throw new InvalidKeyError(key, 'not <shard>/<base32>.data')
    return canonical(this, key, () => this.#base32.decode(inner).bytes)
  }
}

/**
 * base58btc multibase of the multihash bytes, `z` prefix included:
 * `zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4` for sha2-256 of `hello world`. Piri's key on
 * memory and datastore backends. Not valid on flatfs (upper case).
 */
export class PlainKeyEncoder implements KeyEncoder {
  encode(digest: MultihashDigest): string {
    return base58btc.encode(digest.bytes)
  }

  /** @throws {InvalidKeyError} not canonical base58btc multibase of a multihash. */
  decode(key: string): MultihashDigest {
    return canonical(this, key, () => base58btc.decode(key))
  }
}

/** Decodes `key` with `bytesOf` and accepts it only when encoding the digest gives `key` back. */
function canonical(encoder: KeyEncoder, key: string, bytesOf: () => Uint8Array): MultihashDigest {
  let digest: MultihashDigest
  try {
    digest = decodeDigest(bytesOf())
  } catch (error) {
    throw new InvalidKeyError(key, 'not an encoded multihash', { cause: error })
  }
  if (encoder.encode(digest) !== key) throw new InvalidKeyError(key, 'not in canonical form')
  return digest
}
