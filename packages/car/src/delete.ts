import type { BlobStore } from '@strata/blobstore'
import type { IOOptions } from '@strata/objectstore'
import type { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { BlockIndex, CarRecord } from './contract.js'
import { slicesOf } from './index-archive/slices.js'
import { CarReader } from './read/reader.js'
import type { CarRecords } from './records.js'

/** What a deletion works with (the `CarStore`'s parts). */
export interface DeleteContext {
  blobs: BlobStore
  index: BlockIndex
  records: CarRecords
  maxBlockSize: number
  maxHeaderSize: number
}

/** What {@link deleteCar} removed. */
export interface DeletedCar {
  /** Whether the CAR had a record (it was imported, not only stored as a blob). */
  imported: boolean
  /** The CID of its index archive, deleted with it, when it had a record. */
  index?: CID
  /** The location entries removed. */
  entries: number
}

/** Index archives read whole up to this size; a larger one (~5 M blocks) is skipped for the CAR itself. */
const MAX_ARCHIVE_READ = 256 * 1024 * 1024

/**
 * Deletes a CAR and everything its import wrote, pointers first, so that an interrupted deletion
 * leaves nothing pointing at what is gone and is finished by running it again: the location entries
 * (found from the index archive, or by reading the CAR when the archive is gone), the root entries,
 * the record, then the index blob and the CAR blob. A CAR that was never imported is simply deleted.
 */
export async function deleteCar(
  ctx: DeleteContext,
  car: MultihashDigest,
  options: IOOptions = {},
): Promise<DeletedCar> {
  const record = await ctx.records.get(car, options)
  if (record === undefined) {
    await ctx.blobs.delete(car, options)
    return { imported: false, entries: 0 }
  }
  const blocks = await blocksOf(ctx, record, options)
  await ctx.index.deleteMany(
    blocks.map((block) => ({ block, blob: car })),
    options,
  )
  for (const root of record.roots) await ctx.records.deleteRoot(root, car, options)
  await ctx.records.delete(car, options)
  await ctx.blobs.delete(record.index.multihash, options)
  await ctx.blobs.delete(car, options)
  return { imported: true, index: record.index, entries: blocks.length }
}

/** The multihashes of the CAR's blocks: from its index archive, else from the CAR; `[]` when both are gone. */
async function blocksOf(
  ctx: DeleteContext,
  record: CarRecord,
  options: IOOptions,
): Promise<MultihashDigest[]> {
  const archive = await readWhole(ctx.blobs, record.index.multihash, options)
  if (archive !== undefined) {
    try {
      return slicesOf(archive, record.digest)
    } catch {
      // not readable: read the CAR instead
    }
  }
  const blocks: MultihashDigest[] = []
  const reader = new CarReader({
    verify: false,
    maxBlockSize: ctx.maxBlockSize,
    maxHeaderSize: ctx.maxHeaderSize,
    onBlock: (block) => blocks.push(block.cid.multihash),
  })
  try {
    const { body } = await ctx.blobs.get(record.digest, options)
    for await (const chunk of body) await reader.write(chunk)
    await reader.end()
  } catch (error) {
    if ((error as { name?: unknown }).name === 'NotFoundError') return []
    throw error
  }
  return blocks
}

async function readWhole(
  blobs: BlobStore,
  digest: MultihashDigest,
  options: IOOptions,
): Promise<Uint8Array | undefined> {
  try {
    const { size, body } = await blobs.get(digest, options)
    if (size > MAX_ARCHIVE_READ) {
      await body[Symbol.asyncIterator]().return?.()
      return undefined
    }
    const bytes = new Uint8Array(size)
    let at = 0
    for await (const chunk of body) {
      bytes.set(chunk.subarray(0, size - at), at)
      at += chunk.byteLength
    }
    return bytes
  } catch (error) {
    if ((error as { name?: unknown }).name === 'NotFoundError') return undefined
    throw error
  }
}
