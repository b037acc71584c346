import type { IOOptions } from '@strata/objectstore'

/**
 * Named private keys kept on the node's local disk, never in a remote backend (S3): a key store is
 * local by construction, so a deployment that puts everything else on S3 still keeps its identity
 * on its own disk.
 *
 * A key is stored as raw bytes, whatever its algorithm: e.g. an ed25519 signer from
 * `@ucanto/principal` stored as `signer.encode()` and restored with `ed25519.decode(bytes)`.
 * Names are 1–128 characters of `[A-Za-z0-9._-]` starting with a letter or digit (see
 * {@link assertKeyName}). No method logs, or puts into an error message, a key's bytes.
 */
export interface KeyStore {
  /** Prepares the store (creates directories, opens the database). Idempotent. */
  open(): Promise<void>

  /** Releases what `open` acquired. Idempotent. */
  close(): Promise<void>

  /**
   * The key stored under `name` (a copy: mutating it changes nothing stored).
   * @throws {NotFoundError} no key is stored under `name` (from `@strata/objectstore`).
   * @throws {InvalidKeyNameError} `name` is not a valid key name.
   */
  get(name: string, options?: IOOptions): Promise<Uint8Array>

  /**
   * Stores `key` under `name`, replacing any key stored there before.
   * @throws {InvalidKeyNameError} `name` is not a valid key name.
   * @throws {TypeError} `key` is not a non-empty `Uint8Array`.
   */
  put(name: string, key: Uint8Array, options?: IOOptions): Promise<void>

  /**
   * Whether a key is stored under `name`.
   * @throws {InvalidKeyNameError} `name` is not a valid key name.
   */
  has(name: string, options?: IOOptions): Promise<boolean>

  /**
   * Removes the key under `name`; removing a missing key is not an error.
   * @throws {InvalidKeyNameError} `name` is not a valid key name.
   */
  delete(name: string, options?: IOOptions): Promise<void>

  /** Yields the name of every stored key, in unspecified order. */
  list(options?: IOOptions): AsyncIterable<string>
}
