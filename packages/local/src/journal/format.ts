import * as CarBufferWriter from '@ipld/car/buffer-writer'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'

/** The multicodec code of a CAR file (`car`, 0x0202): the codec of batch and entry CIDs. */
export const CAR_CODE = 0x0202

/** The file the journal appends to; renamed to {@link batchFileName} when it rotates. */
export const WIP_FILE = 'egress.car.wip'

const BATCH_PREFIX = 'egress.'
const BATCH_SUFFIX = '.car'

/** A block as `@ipld/car` writes and reads it. */
export interface CarBlock {
  cid: CID
  bytes: Uint8Array
}

/**
 * The CARv1 header every journal file starts with: `{ version: 1, roots: [] }`, as Piri writes it.
 * A journal has no single root (it is a log of independent receipts, and its CID only exists once
 * it is complete), so the roots are empty; `@ipld/car` and go-car's CARv1 readers accept that.
 */
export const CAR_HEADER: Uint8Array = CarBufferWriter.createWriter(
  new ArrayBuffer(CarBufferWriter.headerLength({ roots: [] })),
  { roots: [] },
).close()

/** Encodes `block` as one CAR section (`varint(len) | cid | bytes`) with `@ipld/car`. */
export function encodeSection(block: CarBlock): Uint8Array {
  const length = CAR_HEADER.byteLength + CarBufferWriter.blockLength(block)
  const car = CarBufferWriter.createWriter(new ArrayBuffer(length), { roots: [] }).write(block).close()
  return car.subarray(CAR_HEADER.byteLength)
}

/** The CID of a CAR file from the sha2-256 digest of all its bytes: CIDv1, codec car (0x0202). */
export function carCid(sha256Digest: Uint8Array): CID {
  return CID.createV1(CAR_CODE, createDigest(sha256.code, sha256Digest))
}

/** Whether `cid` can name a batch: CIDv1, codec car, sha2-256. */
export function isBatchCid(cid: CID): boolean {
  return cid.version === 1 && cid.code === CAR_CODE && cid.multihash.code === sha256.code
}

/** The file name of the batch `cid`: `egress.<cid>.car`, the CID in base32 (its v1 default). */
export function batchFileName(cid: CID): string {
  return `${BATCH_PREFIX}${cid.toString()}${BATCH_SUFFIX}`
}

/** The batch CID a file name stands for, or `undefined` when it is not a batch file name. */
export function parseBatchFileName(name: string): CID | undefined {
  if (!name.startsWith(BATCH_PREFIX) || !name.endsWith(BATCH_SUFFIX) || name === WIP_FILE) return undefined
  try {
    const cid = CID.parse(name.slice(BATCH_PREFIX.length, -BATCH_SUFFIX.length))
    return isBatchCid(cid) && batchFileName(cid) === name ? cid : undefined
  } catch {
    return undefined
  }
}
