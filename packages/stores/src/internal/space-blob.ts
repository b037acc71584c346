/**
 * What allocation and acceptance records share: the blob shape, its IPLD form, and a store of
 * records keyed `{digest}/{did}{suffix}` (Piri's key layout for both).
 */

import { type Codec, GenericStore } from '@strata/genericstore'
import type { IOOptions } from '@strata/objectstore'
import type { DID } from '@ucanto/interface'
import type { MultihashDigest } from 'multiformats'
import { base58btc } from 'multiformats/bases/base58'
import * as Digest from 'multiformats/hashes/digest'
import { asMap, asUint, decodeDigest, formatDigest, read } from './fields.js'
import { namespaceOption, type RecordStoreOptions } from './options.js'

/** A blob as records describe it. */
export interface Blob {
  /** The multihash of the blob's bytes; stored as multihash bytes. */
  digest: MultihashDigest
  /** Size of the blob in bytes. */
  size: number
}

/** The IPLD form of a {@link Blob}: `{ digest: bytes, size: int }`. */
export function encodeBlob(blob: Blob, field: string): Record<string, unknown> {
  const map = asMap(blob, field)
  const digest = asMap(read(map, 'digest'), `${field}.digest`)
  if (!(digest.bytes instanceof Uint8Array)) throw new TypeError(`${field}.digest: expected a multihash`)
  return { digest: digest.bytes, size: asUint(read(map, 'size'), `${field}.size`) }
}

/** A {@link Blob} from its IPLD form. @throws {TypeError} on a wrong shape. */
export function decodeBlob(value: unknown, field: string): Blob {
  const map = asMap(value, field)
  return {
    digest: decodeDigest(read(map, 'digest'), `${field}.digest`),
    size: asUint(read(map, 'size'), `${field}.size`),
  }
}

/** A record about one blob in one space. */
export interface SpaceBlobRecord {
  space: DID
  blob: Blob
}

/**
 * Records keyed by blob and space: `{digest}/{did}{suffix}`, `digest` in base58btc (`z…`).
 * Every read of a missing record throws `NotFoundError`; undecodable bytes throw `DecodeError`.
 */
export class SpaceBlobRecords<T extends SpaceBlobRecord> {
  readonly #store: GenericStore<T>
  readonly #suffix: string

  constructor(options: RecordStoreOptions, codec: Codec<T>) {
    this.#store = new GenericStore({ backend: options.backend, codec, ...namespaceOption(options.namespace) })
    this.#suffix = options.keySuffix ?? ''
  }

  /** The key of the record for `digest` in `space`. */
  key(digest: MultihashDigest, space: DID): string {
    return `${prefix(digest)}${space}${this.#suffix}`
  }

  async put(record: T, options?: IOOptions): Promise<void> {
    await this.#store.put(this.key(record.blob.digest, record.space), record, options)
  }

  async get(digest: MultihashDigest, space: DID, options?: IOOptions): Promise<T> {
    return this.#store.get(this.key(digest, space), options)
  }

  async getAny(digest: MultihashDigest, match?: (record: T) => boolean, options?: IOOptions): Promise<T> {
    return this.#store.getAny(prefix(digest), match, options)
  }

  async has(digest: MultihashDigest, options?: IOOptions): Promise<boolean> {
    return this.#store.hasPrefix(prefix(digest), options)
  }

  list(digest: MultihashDigest, options?: IOOptions): AsyncIterable<T> {
    return this.#store.list(prefix(digest), options)
  }

  /** Every record, whatever its blob. */
  all(options?: IOOptions): AsyncIterable<T> {
    return this.#store.list('', options)
  }

  /** The blob and space of every record, from the keys alone (no value read; foreign keys skipped). */
  async *keys(options?: IOOptions): AsyncGenerator<SpaceBlobKey> {
    for await (const key of this.#store.keys('', options)) {
      const parsed = parseKey(key, this.#suffix)
      if (parsed !== undefined) yield parsed
    }
  }

  /** Removes the record of `digest` in `space`; a missing one is not an error. */
  async delete(digest: MultihashDigest, space: DID, options?: IOOptions): Promise<void> {
    await this.#store.delete(this.key(digest, space), options)
  }
}

/** What a record's key names: the blob and the space. */
export interface SpaceBlobKey {
  digest: MultihashDigest
  space: DID
}

/** The blob and space of a key `{digest}/{did}{suffix}`, or undefined for any other key. */
function parseKey(key: string, suffix: string): SpaceBlobKey | undefined {
  const slash = key.indexOf('/')
  if (slash < 0 || !key.endsWith(suffix)) return undefined
  const space = key.slice(slash + 1, key.length - suffix.length)
  if (!space.startsWith('did:')) return undefined
  try {
    return { digest: Digest.decode(base58btc.decode(key.slice(0, slash))), space: space as DID }
  } catch {
    return undefined
  }
}

/** `{digest}/`: the prefix under which every record of a blob lives. */
function prefix(digest: MultihashDigest): string {
  return `${formatDigest(digest)}/`
}
