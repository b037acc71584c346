import type { Codec, Validator } from '../codec.js'

const decoder = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

/** A JSON codec (UTF-8, strict decoding). Without `validate` the decoded value is trusted to be a `T`. */
export function jsonCodec<T>(validate?: Validator<T>): Codec<T> {
  return {
    name: 'json',
    encode: (value) => encoder.encode(JSON.stringify(value)),
    decode: (bytes) => {
      const value: unknown = JSON.parse(decoder.decode(bytes))
      return validate ? validate(value) : (value as T)
    },
  }
}
