/**
 * A label's stored record, DAG-CBOR: `{ ref, version, updatedAt, owner? }` for a label (`ref` a CID
 * link, or the multihash's bytes), `{ version, updatedAt, deleted: true }` for a deleted one (a
 * tombstone: S3 has no conditional delete, so a compare-and-swap delete is a conditional write).
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
  | { deleted: false; ref: ContentRef; version: string; updatedAt: number; owner: string | undefined }
  | { deleted: true; version: string; updatedAt: number }

/** A fresh version: 96 random bits in hex, never repeated (an etag alone can repeat: it hashes the bytes). */
export function newVersion(): string {
  return randomBytes(12).toString('hex')
}

/** The bytes of a record. */
export function encodeLabelRecord(record: LabelRecord): Uint8Array {
  if (record.deleted)
    return dagCbor.encode({ version: record.version, updatedAt: record.updatedAt, deleted: true })
  const ref = isCid(record.ref) ? record.ref : record.ref.bytes
  const owner = record.owner === undefined ? {} : { owner: record.owner }
  return dagCbor.encode({ ref, version: record.version, updatedAt: record.updatedAt, ...owner })
}

/** A record from its bytes. @throws {TypeError} the bytes are not a label record. */
export function decodeLabelRecord(bytes: Uint8Array): LabelRecord {
  const map = asMap(dagCbor.decode(bytes), 'label')
  const version = asString(read(map, 'version'), 'label.version')
  const updatedAt = asUint(read(map, 'updatedAt'), 'label.updatedAt')
  if (read(map, 'deleted') === true) return { deleted: true, version, updatedAt }
  const stored = read(map, 'ref')
  const cid = CID.asCID(stored)
  let ref: ContentRef
  if (cid !== null) ref = cid
  else if (stored instanceof Uint8Array) ref = decodeDigest(stored)
  else throw new TypeError('label.ref: expected a CID or multihash bytes')
  const owner = read(map, 'owner')
  return {
    deleted: false,
    ref,
    version,
    updatedAt,
    owner: owner === undefined ? undefined : asString(owner, 'label.owner'),
  }
}
