/**
 * Storacha's sharded DAG index, `index/sharded/dag@0.1`, written for one CAR (one shard):
 *
 * - root block, DAG-CBOR: `{ "index/sharded/dag@0.1": { content: CID, shards: [shardBlockCID] } }`;
 * - shard block, DAG-CBOR: `[shardMultihash, [[sliceMultihash, [offset, length]], …]]`, the
 *   position pair nested, slices sorted by their digest bytes; offsets absolute in the CAR and
 *   pointing at each block's DATA (after its varint and CID), as Storacha's upload client records;
 * - both CIDv1 dag-cbor sha2-256, archived as a CARv1 whose one root is the root block, written first.
 *
 * The shard block is encoded here directly (CBOR major types 0, 2 and 4 in their shortest forms,
 * which is what DAG-CBOR requires) instead of building one JS array per slice.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { varint } from 'multiformats'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { BlockTable } from './block-table.js'

/** The index format's name, the root block's only key. */
export const SHARDED_DAG_INDEX = 'index/sharded/dag@0.1'
/** Multicodec of a CAR (a CID of an index archive uses it). */
export const CAR_CODE = 0x0202
const DAG_CBOR = 0x71

/** An encoded index archive: its bytes in parts, size, sha2-256 digest and CID (codec car). */
export interface IndexArchive {
  parts: Uint8Array[]
  size: number
  digest: MultihashDigest
  cid: CID
}

/**
 * Encodes the index of one CAR (`shard`, its sha2-256 multihash) holding the blocks of `table`;
 * `content` is the DAG root the index describes; `sorted` is `table.sortedUnique()` when already made.
 */
export function encodeIndexArchive(
  content: CID,
  shard: MultihashDigest,
  table: BlockTable,
  sorted: Uint32Array = table.sortedUnique(),
): IndexArchive {
  const shardBlock = encodeShard(shard, table, sorted)
  const shardCid = CID.createV1(DAG_CBOR, sha256(shardBlock))
  const rootBlock = dagCbor.encode({ [SHARDED_DAG_INDEX]: { content, shards: [shardCid] } })
  const rootCid = CID.createV1(DAG_CBOR, sha256(rootBlock))
  const header = dagCbor.encode({ roots: [rootCid], version: 1 })
  const parts = [varintBytes(header.byteLength), header]
  for (const [cid, bytes] of [
    [rootCid, rootBlock],
    [shardCid, shardBlock],
  ] as const) {
    parts.push(varintBytes(cid.bytes.byteLength + bytes.byteLength), cid.bytes, bytes)
  }
  const hash = createHash('sha256')
  let size = 0
  for (const part of parts) {
    hash.update(part)
    size += part.byteLength
  }
  const digest = createDigest(0x12, hash.digest())
  return { parts, size, digest, cid: CID.createV1(CAR_CODE, digest) }
}

/** `[shardMultihash, [[sliceMultihash, [offset, length]], …]]` in DAG-CBOR. */
function encodeShard(shard: MultihashDigest, table: BlockTable, order: Uint32Array): Uint8Array {
  let size = 1 + bytesLength(shard.bytes.byteLength) + head(order.length)
  for (const index of order) {
    const { multihash, offset, length } = table.row(index)
    size += 2 + bytesLength(multihash.byteLength) + head(offset) + head(length)
  }
  const out = new Uint8Array(size)
  let at = 0
  const write = (major: number, value: number) => {
    at = writeHead(out, at, major, value)
  }
  write(4, 2)
  write(2, shard.bytes.byteLength)
  out.set(shard.bytes, at)
  at += shard.bytes.byteLength
  write(4, order.length)
  for (const index of order) {
    const { multihash, offset, length } = table.row(index)
    write(4, 2)
    write(2, multihash.byteLength)
    out.set(multihash, at)
    at += multihash.byteLength
    write(4, 2)
    write(0, offset)
    write(0, length)
  }
  return out
}

/** Bytes of a CBOR head for `value`. */
function head(value: number): number {
  if (value < 24) return 1
  if (value < 0x100) return 2
  if (value < 0x10000) return 3
  if (value < 0x100000000) return 5
  return 9
}

function bytesLength(length: number): number {
  return head(length) + length
}

function writeHead(out: Uint8Array, at: number, major: number, value: number): number {
  const type = major << 5
  if (value < 24) {
    out[at] = type | value
    return at + 1
  }
  const view = new DataView(out.buffer, out.byteOffset)
  if (value < 0x100) {
    out[at] = type | 24
    out[at + 1] = value
    return at + 2
  }
  if (value < 0x10000) {
    out[at] = type | 25
    view.setUint16(at + 1, value)
    return at + 3
  }
  if (value < 0x100000000) {
    out[at] = type | 26
    view.setUint32(at + 1, value)
    return at + 5
  }
  out[at] = type | 27
  view.setBigUint64(at + 1, BigInt(value))
  return at + 9
}

function varintBytes(value: number): Uint8Array {
  const out = new Uint8Array(varint.encodingLength(value))
  varint.encodeTo(value, out)
  return out
}

function sha256(bytes: Uint8Array): MultihashDigest {
  return createDigest(0x12, createHash('sha256').update(bytes).digest())
}
