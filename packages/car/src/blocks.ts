import type { BlobStore } from '@strata/blobstore'
import type { IOOptions } from '@strata/objectstore'
import type { CID } from 'multiformats/cid'
import type { BlockIndex, BlockLocation } from './contract.js'
import { BlockNotFoundError } from './errors.js'
import type { LocationCache } from './location-cache.js'
import { IDENTITY, verifyBlock } from './read/verify.js'

/**
 * Reads a block: its locations from the index, a ranged read of the first blob still stored, then
 * its hash checked against the CID. An identity CID holds its block: answered without a lookup.
 * @throws {BlockNotFoundError} no stored blob holds the block.
 * @throws {DigestMismatchError} (a `BlockDigestMismatchError`, with `cid` and `offset`) the stored
 *   bytes do not hash to the CID: they are not returned.
 */
export async function readBlock(
  blobs: BlobStore,
  index: BlockIndex,
  cid: CID,
  options: IOOptions = {},
  cache?: LocationCache,
): Promise<Uint8Array> {
  if (cid.multihash.code === IDENTITY) return cid.multihash.digest
  const cached = cache?.get(cid.multihash)
  if (cached !== undefined) {
    const bytes = await readLocation(blobs, cached, options)
    if (bytes !== undefined) {
      await verifyBlock(cid, bytes, cached.offset)
      return bytes
    }
    cache?.delete(cid.multihash) // its blob is gone: ask the index
  }
  for (const location of await index.get(cid.multihash, options)) {
    const bytes = await readLocation(blobs, location, options)
    if (bytes === undefined) continue
    await verifyBlock(cid, bytes, location.offset)
    cache?.set(cid.multihash, location)
    return bytes
  }
  throw new BlockNotFoundError(cid)
}

/** Whether a block can be read: an identity CID, or one the index locates in a stored blob. */
export async function blockExists(
  blobs: BlobStore,
  index: BlockIndex,
  cid: CID,
  options: IOOptions = {},
): Promise<boolean> {
  if (cid.multihash.code === IDENTITY) return true
  for (const location of await index.get(cid.multihash, options)) {
    if (await blobs.has(location.blob, options)) return true
  }
  return false
}

/** The bytes at `location`, or undefined when its blob is gone. */
async function readLocation(
  blobs: BlobStore,
  location: BlockLocation,
  options: IOOptions,
): Promise<Uint8Array | undefined> {
  const { blob, offset, length } = location
  if (length === 0) return (await blobs.has(blob, options)) ? new Uint8Array(0) : undefined
  let read: Awaited<ReturnType<BlobStore['get']>>
  try {
    read = await blobs.get(blob, { ...options, range: { start: offset, end: offset + length - 1 } })
  } catch (error) {
    if (error instanceof Error && error.name === 'NotFoundError') return undefined
    throw error
  }
  // bytes in one piece (memory, a flatfs range read at once): the body holds nothing
  if (read.bytes !== undefined && read.bytes.byteLength >= length) return read.bytes.subarray(0, length)
  const chunks = read.body[Symbol.asyncIterator]()
  const first = await chunks.next()
  if (!first.done && first.value.byteLength >= length) {
    // the usual answer to a small range: one chunk holding the whole block, returned as is (no
    // copy); the body is still read to its end, so a backend stream finishes (its socket is reused)
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {}
    return first.value.subarray(0, length)
  }
  const bytes = new Uint8Array(length)
  let at = 0
  for await (const chunk of replay(first, chunks)) {
    const take = Math.min(chunk.byteLength, length - at)
    bytes.set(chunk.subarray(0, take), at)
    at += take
  }
  // a blob shorter than the index says: what was read does not verify, and is not returned
  return at === length ? bytes : bytes.subarray(0, at)
}

/** The chunks of a body whose first result was already read. */
async function* replay(
  first: IteratorResult<Uint8Array>,
  rest: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (first.done) return
  yield first.value
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value
}
