import { InvalidKeyNameError } from '../errors.js'

/** The longest key name accepted, in characters. */
export const MAX_KEY_NAME_LENGTH = 128

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/**
 * Checks a key name: 1–{@link MAX_KEY_NAME_LENGTH} characters of `[A-Za-z0-9._-]`, the first a
 * letter or digit. The set keeps names safe as datastore keys (no `/` namespaces, no `:` types) and
 * as file names, and leaves nothing to normalise, so two different names never collide.
 * @throws {InvalidKeyNameError}
 */
export function assertKeyName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidKeyNameError(String(name), 'empty name')
  }
  if (name.length > MAX_KEY_NAME_LENGTH) {
    throw new InvalidKeyNameError(name, `longer than ${MAX_KEY_NAME_LENGTH} characters`)
  }
  if (!KEY_NAME.test(name)) {
    throw new InvalidKeyNameError(
      name,
      'only letters, digits, ".", "_" and "-", starting with a letter or digit',
    )
  }
}

/**
 * Checks a key value.
 * @throws {TypeError} when `key` is not a non-empty `Uint8Array` (the message never shows the bytes).
 */
export function assertKeyBytes(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new TypeError('a key must be a Uint8Array')
  if (key.byteLength === 0) throw new TypeError('a key must not be empty')
}
