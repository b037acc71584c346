import { createHash, type Hash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { varint } from 'multiformats'
import { equals } from 'multiformats/bytes'
import { CID } from 'multiformats/cid'
import { JournalCorruptError } from '../errors.js'
import { CAR_HEADER, carCid } from './format.js'
import { FileReader } from './reader.js'

/** What a scan of `egress.car.wip` found. */
export interface WipScan {
  /** Bytes at the start of the file that hold the header and whole, valid sections. */
  size: number
  /** sha2-256 state over exactly those `size` bytes. */
  hash: Hash
  /** The number of whole sections (entries). */
  entries: number
  /** The header itself is missing or torn (the file is empty or a prefix of it): start afresh. */
  headerMissing: boolean
}

/** A section's length prefix is a varint of at most this many bytes (as `@ipld/car` reads it). */
const MAX_VARINT_BYTES = 8
/** Bytes read to decode a section's CID (a sha2-256 CID takes 36). */
const MAX_CID_BYTES = 128
/** The first bytes of every entry CID: CIDv1, codec car (0x0202), sha2-256, 32-byte digest. */
const ENTRY_CID_PREFIX = carCid(new Uint8Array(32)).bytes.subarray(0, 5)

type Section = { end: number; hash: Hash } | { torn: true } | { invalid: string }

/**
 * Reads a journal file section by section, streaming (never more than one read chunk in memory),
 * checking each entry's bytes against its CID and hashing the file as it goes.
 *
 * The scan stops at the end of the last whole section. What follows is a **torn tail**, left by a
 * crash in the middle of an append, when it is a prefix of a section: a length varint cut short,
 * or a complete varint whose section would end past the end of the file and whose bytes present
 * start like an entry CID; or when every remaining byte is zero (a file extended but never
 * written, as some filesystems leave it after a power loss). Anything else is corruption.
 * @throws {JournalCorruptError} the file does not start with the journal header, or holds bytes
 * that are neither whole sections nor a torn tail.
 */
export async function scanWip(handle: FileHandle, path: string, fileSize: number): Promise<WipScan> {
  const reader = new FileReader(handle)
  const head = await reader.peek(CAR_HEADER.byteLength)
  if (!equals(head, CAR_HEADER)) {
    if (head.byteLength < CAR_HEADER.byteLength && equals(head, CAR_HEADER.subarray(0, head.byteLength))) {
      return { size: 0, hash: createHash('sha256'), entries: 0, headerMissing: true }
    }
    throw new JournalCorruptError(path, 0, 'does not start with the CARv1 header { version: 1, roots: [] }')
  }
  let hash = createHash('sha256').update(head)
  reader.skip(head.byteLength)
  let entries = 0
  while (reader.position < fileSize) {
    const start = reader.position
    const section = await readSection(reader, fileSize, hash)
    if ('end' in section) {
      hash = section.hash
      entries++
    } else {
      if ('invalid' in section && !(await isZeroFrom(handle, start, fileSize))) {
        throw new JournalCorruptError(path, start, section.invalid)
      }
      return { size: start, hash, entries, headerMissing: false }
    }
  }
  return { size: reader.position, hash, entries, headerMissing: false }
}

/** Reads one section at the reader's position; `hash` is the file's hash so far (left untouched). */
async function readSection(reader: FileReader, fileSize: number, hash: Hash): Promise<Section> {
  const start = reader.position
  const prefix = await reader.peek(MAX_VARINT_BYTES)
  if (prefix.findIndex((byte) => byte < 0x80) === -1) {
    return prefix.byteLength < MAX_VARINT_BYTES
      ? { torn: true }
      : { invalid: 'section length is not a varint' }
  }
  const [length, varintBytes] = varint.decode(prefix)
  if (length === 0) return { invalid: 'zero-length section' }
  const end = start + varintBytes + length
  const head = (await reader.peek(varintBytes + Math.min(length, MAX_CID_BYTES))).subarray(varintBytes)
  if (end > fileSize) {
    const present = head.subarray(0, ENTRY_CID_PREFIX.byteLength)
    return equals(present, ENTRY_CID_PREFIX.subarray(0, present.byteLength))
      ? { torn: true }
      : { invalid: 'section runs past the end of the file and does not start with an entry CID' }
  }
  let cid: CID
  try {
    cid = CID.decodeFirst(head)[0]
  } catch (error) {
    return { invalid: `section does not start with a CID (${(error as Error).message})` }
  }
  if (!equals(cid.bytes.subarray(0, ENTRY_CID_PREFIX.byteLength), ENTRY_CID_PREFIX)) {
    return { invalid: `entry CID ${cid} is not CIDv1 car/sha2-256` }
  }
  const sectionHash = hash.copy().update(await reader.take(varintBytes + cid.bytes.byteLength))
  const entryHash = createHash('sha256')
  for await (const chunk of reader.stream(length - cid.bytes.byteLength)) {
    sectionHash.update(chunk)
    entryHash.update(chunk)
  }
  if (!equals(entryHash.digest(), cid.multihash.digest)) {
    return { invalid: `entry bytes do not hash to their CID ${cid}` }
  }
  return { end, hash: sectionHash }
}

/** Whether every byte of the file from `start` on is zero. */
async function isZeroFrom(handle: FileHandle, start: number, fileSize: number): Promise<boolean> {
  const reader = new FileReader(handle, start)
  for await (const chunk of reader.stream(fileSize - start)) {
    if (chunk.some((byte) => byte !== 0)) return false
  }
  return true
}
