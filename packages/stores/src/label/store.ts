import { DecodeError } from '@strata/genericstore'
import {
  type IOOptions,
  NotFoundError,
  type ObjectStore,
  type PutOptions,
  TooLargeError,
} from '@strata/objectstore'
import { LabelConflictError, LabelNotFoundError } from '../errors.js'
import { checkDid } from '../internal/did.js'
import { DEFAULT_PAGE_SIZE, PageSelection } from '../internal/paging.js'
import { decodeLabelRecord, encodeLabelRecord, type LabelRecord, newVersion } from './codec.js'
import { labelKey, labelNameOf, labelPrefix, startsWithBytes, utf8 } from './names.js'
import { asRef, type ContentRef } from './refs.js'

/** Options for {@link LabelStore}. */
export interface LabelStoreOptions {
  /** Where the label records live (memory, LevelDB, S3; not flatfs); opened and closed by the caller. */
  backend: ObjectStore
  /** Keeps the labels apart from other stores on the same backend (`<namespace>/<key>`). Default none. */
  namespace?: string
}

/** A label: a name pointing at content. */
export interface Label {
  name: string
  /** What it points at: a CID or a blob multihash. */
  ref: ContentRef
  /** Opaque; changes on every successful write (random, never reused: no ABA). */
  version: string
  updatedAt: Date
  /** The DID that owns the label, if any (an owner's wipe removes its labels). */
  owner?: string
  /**
   * While a move is being confirmed: what the label pointed at before. Garbage collection keeps it
   * too, so that undoing the move never names content collected meanwhile; `settle` drops it.
   */
  previous?: ContentRef
}

/** Options for {@link Labels.set}. */
export interface SetLabelOptions extends IOOptions {
  /**
   * Compare-and-swap: write only if the label is at this version; `null`: only if it does not
   * exist. Absent: write whatever is there.
   */
  ifVersion?: string | null
  /** The owning DID recorded in the label. Default none. */
  owner?: string
  /** Recorded as the label's `previous` (a move to be confirmed; see `LabelStore.settle`). Default none. */
  previous?: ContentRef
}

/** Options for {@link Labels.delete}. */
export interface DeleteLabelOptions extends IOOptions {
  /** Delete only if the label is at this version. */
  ifVersion?: string
}

/** Options for {@link Labels.list}. */
export interface ListLabelsOptions extends IOOptions {
  /** Answer the names after this one (the last name of the previous page). */
  cursor?: string
  /** Labels per page, 1–10,000. Default 1,000. */
  limit?: number
}

/** One page of labels, in name order (UTF-8 byte order). */
export interface LabelPage {
  labels: Label[]
  /** Pass it as `cursor` for the next page; absent on the last page. */
  cursor?: string
}

/** The label store contract, implemented by {@link LabelStore}. */
export interface Labels {
  /** @throws {LabelNotFoundError} @throws {InvalidLabelNameError} */
  get(name: string, options?: IOOptions): Promise<Label>
  /** The label, or undefined. @throws {InvalidLabelNameError} */
  find(name: string, options?: IOOptions): Promise<Label | undefined>
  /**
   * Points `name` at `ref`, under the conditions of `options`; answers the label as written.
   * @throws {LabelConflictError} `ifVersion` did not hold (with the current version); nothing written.
   * @throws {InvalidLabelNameError | InvalidRefError | InvalidDidError} bad input; nothing written.
   */
  set(name: string, ref: ContentRef, options?: SetLabelOptions): Promise<Label>
  /**
   * Deletes the label; answers whether there was one. Without `ifVersion` deleting a missing label
   * is not an error.
   * @throws {LabelConflictError} `ifVersion` given and the label is not at it (or is missing).
   */
  delete(name: string, options?: DeleteLabelOptions): Promise<boolean>
  /** A page of the labels whose names start with `prefix` (any string; `''` = all). */
  list(prefix?: string, options?: ListLabelsOptions): Promise<LabelPage>
  /** Every label whose name starts with `prefix`, unordered (one pass; no paging). */
  entries(prefix?: string, options?: IOOptions): AsyncIterable<Label>
}

/** A record read, and the object's answer whose `etag` a compare-and-swap uses (backends may compute it on demand). */
interface Read {
  record: LabelRecord
  stored: { readonly etag: string }
}

/** Records are a few hundred bytes; anything larger under a label key is not ours. */
const MAX_RECORD_SIZE = 64 * 1024
/** The options of a call without a signal (one object, not one per call). */
const NO_OPTIONS: IOOptions = Object.freeze({})
/** Retries of an unconditional delete racing with other writers. */
const DELETE_ATTEMPTS = 8
/** Retries of a compare-and-swap whose object changed while the version it expects did not (a settle). */
const SWAP_ATTEMPTS = 8

/**
 * Labels over any object store whose keys may hold what base32hex makes (memory, LevelDB, S3), with
 * compare-and-swap on every backend through the store's conditional puts: each write reads the
 * record (value and etag) and writes with `ifMatch` (or `ifNoneMatch: '*'` for a new key). Keys are
 * `<base32hex of the UTF-8 name>` (see `names.ts`); a deleted label leaves a tombstone record, since
 * a delete must be conditional too and S3 has no conditional delete. No I/O in the constructor.
 */
export class LabelStore implements Labels {
  readonly #backend: ObjectStore
  readonly #prefix: string

  constructor(options: LabelStoreOptions) {
    this.#backend = options.backend
    this.#prefix = options.namespace === undefined ? '' : `${options.namespace}/`
  }

  async get(name: string, options: IOOptions = {}): Promise<Label> {
    const read = await this.#read(labelKey(name), options)
    if (read === undefined || read.record.deleted) throw new LabelNotFoundError(name)
    return labelOf(name, read.record)
  }

  async find(name: string, options: IOOptions = {}): Promise<Label | undefined> {
    const read = await this.#read(labelKey(name), options)
    return read === undefined || read.record.deleted ? undefined : labelOf(name, read.record)
  }

  async set(name: string, ref: ContentRef, options: SetLabelOptions = {}): Promise<Label> {
    const key = labelKey(name)
    const record: LabelRecord = {
      deleted: false,
      ref: asRef(ref),
      version: newVersion(),
      updatedAt: Date.now(),
      owner: options.owner === undefined ? undefined : checkDid(options.owner),
    }
    if (options.previous !== undefined) record.previous = asRef(options.previous)
    const { ifVersion } = options
    if (ifVersion === undefined) await this.#write(key, record, undefined, options)
    else await this.#swap(name, key, ifVersion, record, options)
    return labelOf(name, record)
  }

  async delete(name: string, options: DeleteLabelOptions = {}): Promise<boolean> {
    const key = labelKey(name)
    const tombstone: LabelRecord = { deleted: true, version: newVersion(), updatedAt: Date.now() }
    if (options.ifVersion !== undefined) {
      await this.#swap(name, key, options.ifVersion, tombstone, options)
      return true
    }
    for (let attempt = 1; ; attempt++) {
      const current = await this.#read(key, options)
      if (current === undefined || current.record.deleted) return false
      try {
        await this.#write(key, tombstone, current.stored.etag, options)
        return true
      } catch (error) {
        if (!isPreconditionFailed(error) || attempt === DELETE_ATTEMPTS) throw error
      }
    }
  }

  /**
   * Undoes a write of this process: if the label is still at `ifVersion`, puts back `to` exactly
   * (same ref, version, time and owner) or, with `to` undefined, deletes the label. Answers whether
   * it did; a label someone else has moved since is left alone. Used to roll back a label whose
   * content turned out to be gone.
   */
  async revert(
    name: string,
    ifVersion: string,
    to: Label | undefined,
    options: IOOptions = {},
  ): Promise<boolean> {
    const key = labelKey(name)
    const current = await this.#read(key, options)
    if (current === undefined || current.record.deleted || current.record.version !== ifVersion) return false
    const record: LabelRecord =
      to === undefined
        ? { deleted: true, version: newVersion(), updatedAt: Date.now() }
        : {
            deleted: false,
            ref: to.ref,
            version: to.version,
            updatedAt: to.updatedAt.getTime(),
            owner: to.owner,
            ...(to.previous === undefined ? {} : { previous: to.previous }),
          }
    try {
      await this.#write(key, record, current.stored.etag, options)
      return true
    } catch (error) {
      if (isPreconditionFailed(error)) return false
      throw error
    }
  }

  /**
   * Ends a confirmed move: drops `previous` from the label if it is still at `version` (the version
   * stays: the label points where it did). Answers the label as it now is, or undefined when it has
   * moved since or has no `previous`.
   */
  async settle(name: string, version: string, options: IOOptions = {}): Promise<Label | undefined> {
    const key = labelKey(name)
    const current = await this.#read(key, options)
    if (current === undefined || current.record.deleted || current.record.version !== version)
      return undefined
    const { previous, ...record } = current.record
    if (previous === undefined) return undefined
    try {
      await this.#write(key, record, current.stored.etag, options)
      return labelOf(name, record)
    } catch (error) {
      if (isPreconditionFailed(error)) return undefined
      throw error
    }
  }

  async list(prefix = '', options: ListLabelsOptions = {}): Promise<LabelPage> {
    const { key: keyPrefix, bytes } = labelPrefix(prefix)
    const after = options.cursor === undefined ? undefined : labelKey(options.cursor)
    const page = new PageSelection(options.limit ?? DEFAULT_PAGE_SIZE, after)
    const io = signalOf(options)
    for await (const stored of this.#backend.list(this.#prefix + keyPrefix, io)) {
      const key = stored.slice(this.#prefix.length)
      const name = labelNameOf(key)
      if (name !== undefined && startsWithBytes(utf8(name), bytes)) page.offer(key)
    }
    const labels: Label[] = []
    for (const key of page.keys) {
      const read = await this.#read(key, io)
      if (read !== undefined && !read.record.deleted)
        labels.push(labelOf(labelNameOf(key) as string, read.record))
    }
    const last = page.keys[page.keys.length - 1]
    return page.more && last !== undefined ? { labels, cursor: labelNameOf(last) as string } : { labels }
  }

  async *entries(prefix = '', options: IOOptions = {}): AsyncGenerator<Label> {
    const { key: keyPrefix, bytes } = labelPrefix(prefix)
    for await (const stored of this.#backend.list(this.#prefix + keyPrefix, options)) {
      const key = stored.slice(this.#prefix.length)
      const name = labelNameOf(key)
      if (name === undefined || !startsWithBytes(utf8(name), bytes)) continue
      const read = await this.#read(key, options)
      if (read !== undefined && !read.record.deleted) yield labelOf(name, read.record)
    }
  }

  /** A conditional write of `record` under `key`, from the version the caller expects. */
  async #swap(
    name: string,
    key: string,
    ifVersion: string | null,
    record: LabelRecord,
    options: IOOptions,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.#read(key, options)
      const live = current !== undefined && !current.record.deleted ? current.record.version : null
      if (live !== ifVersion) throw new LabelConflictError(name, ifVersion, live)
      try {
        await this.#write(key, record, current === undefined ? null : current.stored.etag, options)
        return
      } catch (error) {
        // another write came between the read and this one: a conflict, unless it kept the version
        if (!isPreconditionFailed(error)) throw error
        if (attempt === SWAP_ATTEMPTS) throw new LabelConflictError(name, ifVersion, live, { cause: error })
      }
    }
  }

  /** Writes `record`; with `etag`, only over that object; with `null`, only where nothing is stored. */
  async #write(key: string, record: LabelRecord, etag: string | undefined | null, options: IOOptions) {
    const bytes = encodeLabelRecord(record)
    const put: PutOptions = options.signal === undefined ? {} : { signal: options.signal }
    if (etag === null) put.ifNoneMatch = '*'
    else if (etag !== undefined) put.ifMatch = etag
    await this.#backend.put(this.#prefix + key, bytes.byteLength, bytes, put)
  }

  async #read(key: string, options: IOOptions): Promise<Read | undefined> {
    let result: Awaited<ReturnType<ObjectStore['get']>>
    try {
      result = await this.#backend.get(
        this.#prefix + key,
        options.signal === undefined ? NO_OPTIONS : options,
      )
    } catch (error) {
      if (error instanceof NotFoundError || (error as { name?: unknown }).name === 'NotFoundError')
        return undefined
      throw error
    }
    const { size, body } = result
    if (size > MAX_RECORD_SIZE) {
      await body[Symbol.asyncIterator]().return?.()
      throw new TooLargeError(MAX_RECORD_SIZE, size)
    }
    let bytes = result.bytes
    if (bytes === undefined) {
      bytes = new Uint8Array(size)
      let at = 0
      for await (const chunk of body) {
        bytes.set(chunk.subarray(0, size - at), at)
        at += chunk.byteLength
      }
    }
    try {
      return { record: decodeLabelRecord(bytes), stored: result }
    } catch (error) {
      throw new DecodeError(key, 'dag-cbor', { cause: error })
    }
  }
}

function labelOf(name: string, record: LabelRecord & { deleted: false }): Label {
  const label: Label = {
    name,
    ref: record.ref,
    version: record.version,
    updatedAt: new Date(record.updatedAt),
  }
  if (record.owner !== undefined) label.owner = record.owner
  if (record.previous !== undefined) label.previous = record.previous
  return label
}

function isPreconditionFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'PreconditionFailedError'
}

function signalOf(options: IOOptions): IOOptions {
  return options.signal === undefined ? {} : { signal: options.signal }
}
