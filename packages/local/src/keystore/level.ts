import { chmod, mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { IOOptions } from '@strata/objectstore'
import { LevelObjectStore } from '@strata/objectstore/level'
import type { KeyStore } from './contract.js'
import { ObjectKeyStore } from './object.js'

/** The mode of a key store's directory: owner only. */
export const KEYSTORE_DIR_MODE = 0o700

/** The mode of every file in a key store's directory: owner read/write only. */
export const KEYSTORE_FILE_MODE = 0o600

/** Options for {@link LevelKeyStore}. */
export interface LevelKeyStoreOptions {
  /**
   * The LevelDB directory (a strata node uses `<dataDir>/wallet`); created by `open()` when
   * missing, with its parents.
   */
  path: string
}

/**
 * Named private keys in a LevelDB on the local disk (a `LevelObjectStore`).
 *
 * Permissions do not depend on the process umask: `open()` creates the directory (or tightens an
 * existing one) to {@link KEYSTORE_DIR_MODE} (0o700) and `chmod`s every file in it to
 * {@link KEYSTORE_FILE_MODE} (0o600); because LevelDB creates new files as it writes (logs, tables,
 * manifests, with the default mode less the umask), the files are tightened again after every
 * `put` and `delete` and at `close()`. The directory mode is what keeps other users out in between.
 */
export class LevelKeyStore implements KeyStore {
  readonly #path: string
  #level: LevelObjectStore | undefined
  #store: ObjectKeyStore | undefined

  constructor(options: LevelKeyStoreOptions) {
    this.#path = options.path
  }

  /**
   * Creates or checks the directory, sets the modes and opens the database. Idempotent.
   * @throws {Error} `path` exists and is not a directory, or LevelDB cannot open it (e.g. another
   * process holds its lock).
   */
  async open(): Promise<void> {
    if (this.#store) return
    await mkdir(this.#path, { recursive: true, mode: KEYSTORE_DIR_MODE })
    if (!(await stat(this.#path)).isDirectory()) throw new Error(`${this.#path} is not a directory`)
    await chmod(this.#path, KEYSTORE_DIR_MODE)
    const level = new LevelObjectStore({ path: this.#path })
    await level.open()
    this.#level = level
    this.#store = new ObjectKeyStore({ backend: level })
    await this.#tighten()
  }

  /** Closes the database and tightens the modes of the files it left. Idempotent. */
  async close(): Promise<void> {
    const level = this.#level
    if (!level) return
    this.#level = undefined
    this.#store = undefined
    await level.close()
    await this.#tighten()
  }

  async get(name: string, options?: IOOptions): Promise<Uint8Array> {
    return this.#opened().get(name, options)
  }

  async put(name: string, key: Uint8Array, options?: IOOptions): Promise<void> {
    await this.#opened().put(name, key, options)
    await this.#tighten()
  }

  async has(name: string, options?: IOOptions): Promise<boolean> {
    return this.#opened().has(name, options)
  }

  async delete(name: string, options?: IOOptions): Promise<void> {
    await this.#opened().delete(name, options)
    await this.#tighten()
  }

  list(options?: IOOptions): AsyncIterable<string> {
    return this.#opened().list(options)
  }

  /** chmods every file in the directory to 0o600; a file LevelDB removed meanwhile is skipped. */
  async #tighten(): Promise<void> {
    for (const entry of await readdir(this.#path, { withFileTypes: true })) {
      if (!entry.isFile()) continue
      await chmod(join(this.#path, entry.name), KEYSTORE_FILE_MODE).catch((error: unknown) => {
        if (!(error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT')) throw error
      })
    }
  }

  #opened(): ObjectKeyStore {
    if (!this.#store) throw new Error(`LevelKeyStore at ${this.#path} is not open: call open() first`)
    return this.#store
  }
}
