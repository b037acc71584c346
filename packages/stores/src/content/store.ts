import type { BlobStore, Body } from '@strata/blobstore'
import type { IOOptions } from '@strata/objectstore'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { InvalidUriError, LabelConflictError, LabelNotFoundError } from '../errors.js'
import type { ReferenceGuard } from '../gc/guard.js'
import { checkDid } from '../internal/did.js'
import { asRef, type ContentRef, parseRef, sameRef } from '../label/refs.js'
import type { Label, LabelPage, LabelStore, ListLabelsOptions } from '../label/store.js'
import type { OwnerStore } from '../owner/store.js'

/** Options for {@link ContentStore}. */
export interface ContentStoreOptions {
  /** Where content goes (`store`, `storeAtLabel`) and what references are checked against. */
  blobs: BlobStore
  labels: LabelStore
  /** Checks every reference written against garbage collection (and that the content is stored). */
  guard: ReferenceGuard
  /** Records owned labels and their content as the owner's. Default: labels cannot have owners. */
  owners?: OwnerStore
}

/** Options of the label writes. */
export interface LabelWriteOptions extends IOOptions {
  /** Compare-and-swap: only at this version; `null`: only if the label does not exist. */
  ifVersion?: string | null
  /** The owning DID: the label is wiped with it, and its content becomes the owner's. */
  owner?: string
}

/** What {@link ContentStore.storeAtLabel} and `replaceContentAtLabel` answer. */
export interface StoredAtLabel {
  /** The stored content's sha2-256 multihash. */
  ref: MultihashDigest
  label: Label
}

/** What {@link ContentStore.writeLabel} answers. */
export interface LabelWrite {
  label: Label
  /** Whether the label did not exist before. */
  created: boolean
}

/** Attempts of a label write without `ifVersion` racing with other writers. */
const ATTEMPTS = 8

/**
 * Content with labels, as Theater's store offers it (`label`, `store_at_label`,
 * `replace_content_at_label`, `remove_from_label`, `resolve('store:…')`), and the label writes the
 * HTTP routes use. Every write of a label is checked against garbage collection after it is made
 * (the content is stored and not being collected; see `ReferenceGuard`) and undone when that fails,
 * so a label never points at content that is gone. No I/O in the constructor.
 */
export class ContentStore {
  readonly #blobs: BlobStore
  readonly #labels: LabelStore
  readonly #guard: ReferenceGuard
  readonly #owners: OwnerStore | undefined

  constructor(options: ContentStoreOptions) {
    this.#blobs = options.blobs
    this.#labels = options.labels
    this.#guard = options.guard
    this.#owners = options.owners
  }

  /**
   * Points `name` at stored content. With `owner`, the label is recorded as the owner's and the
   * blobs it points at become members of the owner.
   * @throws {LabelConflictError} `ifVersion` did not hold (with the current version).
   * @throws {ContentNotFoundError} nothing stored is `ref` (the label is left as it was).
   * @throws {ContentCollectingError} garbage collection is deleting it (the label is left as it was).
   * @throws {InvalidLabelNameError | InvalidRefError | InvalidDidError} bad input.
   */
  async setLabel(name: string, ref: ContentRef, options: LabelWriteOptions = {}): Promise<Label> {
    return (await this.writeLabel(name, ref, options)).label
  }

  /** {@link setLabel}, also answering whether the label was created (it did not exist before). */
  async writeLabel(name: string, ref: ContentRef, options: LabelWriteOptions = {}): Promise<LabelWrite> {
    const content = asRef(ref)
    const owner = options.owner === undefined ? undefined : checkDid(options.owner)
    if (owner !== undefined && this.#owners === undefined) throw new TypeError('labels have no owners here')
    const io = signal(options)
    for (let attempt = 1; ; attempt++) {
      const previous = await this.#labels.find(name, io)
      checkVersion(name, options.ifVersion, previous)
      if (owner !== undefined) await this.#owners?.addLabel(owner, name, io)
      // A move records where the label pointed, so that collection keeps that content until the
      // move is confirmed: undoing it must not name content deleted meanwhile.
      const moving = previous !== undefined && !sameRef(previous.ref, content)
      let written: Label
      try {
        written = await this.#labels.set(name, content, {
          ...io,
          ifVersion: previous?.version ?? null,
          ...(owner === undefined ? {} : { owner }),
          ...(moving ? { previous: previous.ref } : {}),
        })
      } catch (error) {
        if (owner !== undefined && previous?.owner !== owner) await this.#owners?.removeLabel(owner, name, io)
        if (error instanceof LabelConflictError && options.ifVersion === undefined && attempt < ATTEMPTS)
          continue
        if (error instanceof LabelConflictError && options.ifVersion !== undefined) {
          throw new LabelConflictError(name, options.ifVersion, error.current, { cause: error })
        }
        throw error
      }
      try {
        const present = await this.#guard.confirm(content, io)
        if (owner !== undefined) {
          for (const digest of present) {
            const { size } = await this.#blobs.stat(digest, io)
            await this.#owners?.add(owner, { digest, size }, io)
          }
        }
      } catch (error) {
        await this.#labels.revert(name, written.version, previous, io).catch(() => {})
        throw error
      }
      // confirmed: the previous content may go (left recorded if this fails: kept until the next move)
      const settled = moving
        ? await this.#labels.settle(name, written.version, io).catch(() => undefined)
        : undefined
      if (previous?.owner !== undefined && previous.owner !== owner) {
        await this.#owners?.removeLabel(previous.owner, name, io)
      }
      return { label: settled ?? written, created: previous === undefined }
    }
  }

  /**
   * Deletes a label; answers whether there was one.
   * @throws {LabelConflictError} `ifVersion` given and the label is not at it (or is missing).
   */
  async deleteLabel(name: string, options: IOOptions & { ifVersion?: string } = {}): Promise<boolean> {
    const io = signal(options)
    for (let attempt = 1; ; attempt++) {
      const previous = await this.#labels.find(name, io)
      if (previous === undefined && options.ifVersion === undefined) return false
      checkVersion(name, options.ifVersion, previous)
      try {
        await this.#labels.delete(name, { ...io, ifVersion: (previous as Label).version })
      } catch (error) {
        if (error instanceof LabelConflictError && options.ifVersion === undefined && attempt < ATTEMPTS)
          continue
        throw error
      }
      if (previous?.owner !== undefined) await this.#owners?.removeLabel(previous.owner, name, io)
      return true
    }
  }

  /** @throws {LabelNotFoundError} */
  getLabel(name: string, options: IOOptions = {}): Promise<Label> {
    return this.#labels.get(name, options)
  }

  listLabels(prefix = '', options: ListLabelsOptions = {}): Promise<LabelPage> {
    return this.#labels.list(prefix, options)
  }

  /** Stores content (Theater's `store`); unreferenced until something labels or owns it. */
  async store(body: Body, options: IOOptions & { size?: number } = {}): Promise<MultihashDigest> {
    return (await this.#blobs.add(body, options)).digest
  }

  /** Theater's `label`: points `name` at stored content. */
  label(name: string, ref: ContentRef, options: LabelWriteOptions = {}): Promise<Label> {
    return this.setLabel(name, ref, options)
  }

  /** Theater's `get_by_label`: what `name` points at, or undefined. */
  async getByLabel(name: string, options: IOOptions = {}): Promise<ContentRef | undefined> {
    return (await this.#labels.find(name, options))?.ref
  }

  /** Theater's `store_at_label`: stores content and points `name` at it. */
  async storeAtLabel(name: string, body: Body, options: LabelWriteOptions & { size?: number } = {}) {
    const ref = await this.store(body, options)
    return { ref, label: await this.setLabel(name, ref, options) } satisfies StoredAtLabel
  }

  /**
   * Theater's `replace_content_at_label`: stores content and moves the existing label `name` to it.
   * @throws {LabelNotFoundError} no such label (the content is stored, unreferenced).
   */
  async replaceContentAtLabel(name: string, body: Body, options: LabelWriteOptions & { size?: number } = {}) {
    await this.#labels.get(name, signal(options))
    const ref = await this.store(body, options)
    return { ref, label: await this.replaceAtLabel(name, ref, options) } satisfies StoredAtLabel
  }

  /**
   * Theater's `replace_at_label`: moves the existing label `name` to stored content.
   * @throws {LabelNotFoundError} no such label.
   */
  async replaceAtLabel(name: string, ref: ContentRef, options: LabelWriteOptions = {}): Promise<Label> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.#labels.get(name, signal(options))
      try {
        return await this.setLabel(name, ref, { ...options, ifVersion: options.ifVersion ?? current.version })
      } catch (error) {
        if (!(error instanceof LabelConflictError) || options.ifVersion !== undefined || attempt === ATTEMPTS)
          throw error
      }
    }
  }

  /** Theater's `remove_label`. */
  removeLabel(name: string, options: IOOptions & { ifVersion?: string } = {}): Promise<boolean> {
    return this.deleteLabel(name, options)
  }

  /**
   * Theater's `remove_from_label`: deletes `name` only while it points at `ref`; answers whether it
   * did (false: missing, or pointing elsewhere).
   */
  async removeFromLabel(name: string, ref: ContentRef, options: IOOptions = {}): Promise<boolean> {
    const content = asRef(ref)
    for (let attempt = 1; ; attempt++) {
      const current = await this.#labels.find(name, signal(options))
      if (current === undefined || !sameRef(current.ref, content)) return false
      try {
        return await this.deleteLabel(name, { ...signal(options), ifVersion: current.version })
      } catch (error) {
        if (!(error instanceof LabelConflictError) || attempt === ATTEMPTS) throw error
      }
    }
  }

  /**
   * Theater's content URIs: `store:hash:<CID or multihash>` is that reference (parsed, not looked
   * up), `store:<label>` what the label points at.
   * @throws {InvalidUriError} not a `store:` URI. @throws {InvalidRefError} a bad hash.
   * @throws {LabelNotFoundError} no such label. @throws {InvalidLabelNameError}
   */
  async resolve(uri: string, options: IOOptions = {}): Promise<ContentRef> {
    if (typeof uri !== 'string' || !uri.startsWith('store:'))
      throw new InvalidUriError(String(uri), 'expected store:')
    const rest = uri.slice('store:'.length)
    if (rest.startsWith('hash:')) return parseRef(rest.slice('hash:'.length))
    if (rest === '') throw new InvalidUriError(uri, 'no label or hash')
    const label = await this.#labels.find(rest, signal(options))
    if (label === undefined) throw new LabelNotFoundError(rest)
    return label.ref
  }
}

function checkVersion(name: string, expected: string | null | undefined, current: Label | undefined): void {
  if (expected === undefined) return
  const version = current?.version ?? null
  if (version !== expected) throw new LabelConflictError(name, expected, version)
}

function signal(options: IOOptions): IOOptions {
  return options.signal === undefined ? {} : { signal: options.signal }
}
