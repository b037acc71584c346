import * as dagCbor from '@ipld/dag-cbor'
import type { Codec, Validator } from '../codec.js'

/**
 * A DAG-CBOR codec (`@ipld/dag-cbor`: deterministic encoding, CIDs as tag 42). Without `validate`
 * the decoded value is trusted to be a `T`.
 */
export function dagCborCodec<T>(validate?: Validator<T>): Codec<T> {
  return {
    name: 'dag-cbor',
    encode: (value) => dagCbor.encode(value),
    decode: (bytes) => {
      const value: unknown = dagCbor.decode(bytes)
      return validate ? validate(value) : (value as T)
    },
  }
}
