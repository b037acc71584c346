import type { Codec } from '@strata/genericstore'

/**
 * Stores bytes as they are: CAR archives and ran index entries, whose decoding (into a ucanto
 * view, or a CID) is async or needs the key, so the stores do it themselves and report failures
 * as `DecodeError`s naming the real format.
 */
export const bytesCodec: Codec<Uint8Array> = {
  name: 'bytes',
  encode: (bytes) => {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('expected bytes')
    return bytes
  },
  decode: (bytes) => bytes,
}
