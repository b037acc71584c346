import type { KeyEncoder, MultihashDigest } from '@strata/blobstore'
import { InvalidKeyError } from '@strata/objectstore'
import { base32upper } from 'multiformats/bases/base32'
import { decode as decodeDigest } from 'multiformats/hashes/digest'

/**
 * Kubo's flatfs blockstore key: the multihash in upper-case, unpadded base32 (RFC 4648) WITHOUT a
 * multibase prefix, e.g. `CIQLSTJHXGJU2PQIUUXFFV62PWV7VREE57RXUU4A52IIR55M4LX432I` for sha2-256 of
 * `hello world` (Kubo keys blocks by multihash since repo version 12). The file is
 * `<next-to-last two characters>/<key>.data` under `blocks/` ({@link KuboBlocksStore} adds both).
 * Not js `blockstore-fs` (which adds the `B` multibase prefix and shards on the last two
 * characters), and not the default of any strata store.
 */
export class KuboKeyEncoder implements KeyEncoder {
  encode(digest: MultihashDigest): string {
    return base32upper.baseEncode(digest.bytes)
  }

  /** @throws {InvalidKeyError} not upper-case base32 of a multihash, in canonical form. */
  decode(key: string): MultihashDigest {
    let digest: MultihashDigest
    try {
      digest = decodeDigest(base32upper.baseDecode(key))
    } catch (error) {
      throw new InvalidKeyError(key, 'not an upper-case base32 multihash', { cause: error })
    }
    if (this.encode(digest) !== key) throw new InvalidKeyError(key, 'not in canonical form')
    return digest
  }
}
