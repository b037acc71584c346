/**
 * Turns values into bytes and back. `name` appears in errors. `decode` should validate what it
 * returns (a record read from storage is untrusted input) and throw when it is not a `T`.
 */
export interface Codec<T> {
  readonly name: string
  encode(value: T): Uint8Array
  decode(bytes: Uint8Array): T
}

/** Checks a decoded value and answers it typed, or throws when it is not a `T`. */
export type Validator<T> = (value: unknown) => T
