/**
 * A label's stored record, DAG-CBOR: `{ ref, version, updatedAt, owner?, previous? }` for a label
 * (`ref` and `previous` a CID link, or the multihash's bytes; `previous` only while a move is being
 * confirmed), `{ version, updatedAt, deleted: true }` for a deleted one (a tombstone: S3 has no
 * conditional delete, so a compare-and-swap delete is a conditional write).
 *
 * Every label call encodes or decodes one, so this fixed shape is written and read directly, CBOR
 * head by head, in canonical DAG-CBOR (keys by length, then bytes; shortest heads): the bytes are
 * what `@ipld/dag-cbor` writes (pinned by a test), and a record of any other DAG-CBOR shape (say,
 * with fields a later version adds) is read through `@ipld/dag-cbor`.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import { asMap, asString, asUint, read } from '../internal/fields.js'
import { type ContentRef, isCid } from './refs.js'

/** A label as stored: pointing somewhere, or deleted. */
export type LabelRecord =
  | {
      deleted: false
      ref: ContentRef
      version: string
      updatedAt: number
      owner: string | undefined
      /** What the label pointed at before a move not yet confirmed (kept from collection until then). */
      previous?: ContentRef | undefined
    }
  | { deleted: true; version: string; updatedAt: number }

/** Random bytes for versions, drawn from the system's CSPRNG a page at a time. */
let pool = Buffer.alloc(0)
let poolAt = 0

/** A fresh version: 96 random bits in hex, never repeated (an etag alone can repeat: it hashes the bytes). */
export function newVersion(): string {
  if (poolAt + 12 > pool.byteLength) {
    pool = randomBytes(12 * 256)
    poolAt = 0
  }
  poolAt += 12
  return pool.toString('hex', poolAt - 12, poolAt)
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const CID_TAG = 42

/** The bytes of a record (canonical DAG-CBOR). */
export function encodeLabelRecord(record: LabelRecord): Uint8Array {
  const out = new Writer()
  if (record.deleted) {
    out.head(5, 3)
    out.text('deleted')
    out.byte(0xf5)
  } else {
    out.head(5, 3 + (record.owner === undefined ? 0 : 1) + (record.previous === undefined ? 0 : 1))
    out.text('ref')
    out.ref(record.ref)
    if (record.owner !== undefined) {
      out.text('owner')
      out.text(record.owner)
    }
  }
  // canonical order: keys by length, then bytes (ref, owner, version, previous, updatedAt)
  out.text('version')
  out.text(record.version)
  if (!record.deleted && record.previous !== undefined) {
    out.text('previous')
    out.ref(record.previous)
  }
  out.text('updatedAt')
  out.head(0, record.updatedAt)
  return out.done()
}

/** A record from its bytes. @throws {TypeError} the bytes are not a label record. */
export function decodeLabelRecord(bytes: Uint8Array): LabelRecord {
  return readFixed(bytes) ?? readGeneric(bytes)
}

/** The general path: any DAG-CBOR map with the fields of a record. */
function readGeneric(bytes: Uint8Array): LabelRecord {
  const map = asMap(dagCbor.decode(bytes), 'label')
  const version = asString(read(map, 'version'), 'label.version')
  const updatedAt = asUint(read(map, 'updatedAt'), 'label.updatedAt')
  if (read(map, 'deleted') === true) return { deleted: true, version, updatedAt }
  const ref = refOf(read(map, 'ref'), 'label.ref')
  const owner = read(map, 'owner')
  const previous = read(map, 'previous')
  return {
    deleted: false,
    ref,
    version,
    updatedAt,
    owner: owner === undefined ? undefined : asString(owner, 'label.owner'),
    ...(previous === undefined ? {} : { previous: refOf(previous, 'label.previous') }),
  }
}

function refOf(stored: unknown, field: string): ContentRef {
  const cid = CID.asCID(stored)
  if (cid !== null) return cid
  if (stored instanceof Uint8Array) return decodeDigest(stored)
  throw new TypeError(`${field}: expected a CID or multihash bytes`)
}

/** The fast path: exactly the shape `encodeLabelRecord` writes, or undefined. */
function readFixed(bytes: Uint8Array): LabelRecord | undefined {
  try {
    const cursor = new Reader(bytes)
    const entries = cursor.head(5)
    const fields: {
      ref?: ContentRef
      owner?: string
      version?: string
      updatedAt?: number
      deleted?: true
      previous?: ContentRef
    } = {}
    for (let i = 0; i < entries; i++) {
      const key = cursor.text()
      if (key === 'ref') fields.ref = cursor.ref()
      else if (key === 'owner') fields.owner = cursor.text()
      else if (key === 'previous') fields.previous = cursor.ref()
      else if (key === 'version') fields.version = cursor.text()
      else if (key === 'updatedAt') fields.updatedAt = cursor.head(0)
      else if (key === 'deleted' && cursor.byte() === 0xf5) fields.deleted = true
      else return undefined
    }
    const { ref, owner, version, updatedAt, deleted, previous } = fields
    if (!cursor.atEnd() || version === undefined || updatedAt === undefined) return undefined
    if (deleted)
      return ref === undefined && owner === undefined && previous === undefined
        ? { deleted, version, updatedAt }
        : undefined
    if (ref === undefined) return undefined
    return { deleted: false, ref, version, updatedAt, owner, ...(previous === undefined ? {} : { previous }) }
  } catch {
    return undefined
  }
}

/** Writes CBOR heads and bytes into a buffer grown as needed. */
class Writer {
  #buffer = new Uint8Array(160)
  #at = 0

  head(major: number, value: number): void {
    this.#room(9)
    const type = major << 5
    const buffer = this.#buffer
    if (value < 24) {
      buffer[this.#at++] = type | value
      return
    }
    const size = value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x100000000 ? 4 : 8
    buffer[this.#at++] = type | (size === 1 ? 24 : size === 2 ? 25 : size === 4 ? 26 : 27)
    let rest = value
    for (let i = this.#at + size - 1; i >= this.#at; i--) {
      buffer[i] = rest % 256
      rest = Math.floor(rest / 256)
    }
    this.#at += size
  }

  text(value: string): void {
    const known = KEYS.get(value)
    if (known !== undefined) {
      this.bytes(known)
      return
    }
    const utf8 = encoder.encode(value)
    this.head(3, utf8.byteLength)
    this.bytes(utf8)
  }

  byte(value: number): void {
    this.#room(1)
    this.#buffer[this.#at++] = value
  }

  bytes(value: Uint8Array): void {
    this.#room(value.byteLength)
    this.#buffer.set(value, this.#at)
    this.#at += value.byteLength
  }

  /** A ref: a CID as a tag-42 link, a multihash as its bytes. */
  ref(value: ContentRef): void {
    if (isCid(value)) {
      this.head(6, CID_TAG)
      this.head(2, value.bytes.byteLength + 1)
      this.byte(0x00)
      this.bytes(value.bytes)
    } else {
      this.head(2, value.bytes.byteLength)
      this.bytes(value.bytes)
    }
  }

  done(): Uint8Array {
    return this.#buffer.slice(0, this.#at)
  }

  #room(size: number): void {
    if (this.#at + size <= this.#buffer.byteLength) return
    const grown = new Uint8Array(Math.max(this.#buffer.byteLength * 2, this.#at + size))
    grown.set(this.#buffer.subarray(0, this.#at))
    this.#buffer = grown
  }
}

/** The record's keys, head and bytes, encoded once. */
const KEYS = new Map(
  ['ref', 'owner', 'version', 'previous', 'updatedAt', 'deleted'].map((key) => [
    key,
    Uint8Array.of(0x60 | key.length, ...encoder.encode(key)),
  ]),
)

/** Reads CBOR heads in shortest form (what canonical DAG-CBOR allows); throws on anything else. */
class Reader {
  readonly #bytes: Uint8Array
  #at = 0

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
  }

  byte(): number {
    const value = this.#bytes[this.#at++]
    if (value === undefined) throw new RangeError('truncated')
    return value
  }

  head(major: number): number {
    const first = this.byte()
    if (first >> 5 !== major) throw new TypeError('unexpected type')
    const info = first & 31
    if (info < 24) return info
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
    if (size === 0) throw new TypeError('unexpected head')
    let value = 0
    for (let i = 0; i < size; i++) value = value * 256 + this.byte()
    if (!Number.isSafeInteger(value)) throw new RangeError('integer too large')
    return value
  }

  take(length: number): Uint8Array {
    if (this.#at + length > this.#bytes.byteLength) throw new RangeError('truncated')
    const out = this.#bytes.subarray(this.#at, this.#at + length)
    this.#at += length
    return out
  }

  text(): string {
    return decoder.decode(this.take(this.head(3)))
  }

  ref(): ContentRef {
    if (this.#bytes[this.#at] === 0xd8) {
      if (this.head(6) !== CID_TAG) throw new TypeError('unexpected tag')
      const bytes = this.take(this.head(2))
      if (bytes[0] !== 0x00) throw new TypeError('not a CID link')
      return CID.decode(bytes.slice(1))
    }
    return decodeDigest(this.take(this.head(2)).slice())
  }

  atEnd(): boolean {
    return this.#at === this.#bytes.byteLength
  }
}
