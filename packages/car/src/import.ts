import { type BlobStore, type Body, UnsupportedHashError, verifiable } from '@strata/blobstore'
import { chunks } from '@strata/objectstore/body'
import { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { Completeness } from './completeness.js'
import type { BlockIndex, BlockIndexEntry, BlockIndexKey, CarRecord, ImportResult } from './contract.js'
import { ImportAbortedError } from './errors.js'
import { encodeIndexArchive } from './index-archive/archive.js'
import { BlockTable } from './index-archive/block-table.js'
import { CarReader, type CarSummary } from './read/reader.js'
import type { CarRecords } from './records.js'

/** Options for `CarStore.importCar`. */
export interface ImportOptions {
  /**
   * The CAR's sha2-256 multihash, when the caller knows it: the bytes then go to `BlobStore.put`
   * (verified against it) instead of `add`, and a CAR already imported is answered from its record
   * without reading the body.
   */
  digest?: MultihashDigest
  /** The CAR's declared length in bytes (required by `put`, checked by `add`). */
  size?: number
  /** Aborting stops the import: `ImportAbortedError`, nothing stored. */
  signal?: AbortSignal
}

/** What an import works with (the `CarStore`'s parts). */
export interface ImportContext {
  blobs: BlobStore
  index: BlockIndex
  records: CarRecords
  maxBlockSize: number
  maxHeaderSize: number
}

const SHA2_256 = 0x12

/** A CAR read in one pass: its blocks' table, summary and completeness. */
interface ReadCar {
  digest: MultihashDigest
  summary: CarSummary
  table: BlockTable
  completeness: Completeness
  created: boolean
}

/**
 * Imports a CAR (see `CarStore.importCar`): one pass over `body` into the blob store while every
 * block is verified, then the index blob, the location entries, the CAR record and the root
 * entries, in that order (pointers last). A failure removes whatever this call wrote.
 */
export async function importCar(
  ctx: ImportContext,
  body: Body,
  options: ImportOptions,
): Promise<ImportResult> {
  const { digest, size, signal } = options
  if (digest !== undefined) {
    const { digest: expected } = verifiable(digest)
    if (expected.code !== SHA2_256) throw new UnsupportedHashError(expected.code, ['sha2-256 (0x12)'])
    const known = await ctx.records.get(expected)
    if (known !== undefined && (await ctx.blobs.has(expected))) return { ...known, created: false }
  }
  const read = await readIntoBlobs(ctx, body, options)
  const known = await ctx.records.get(read.digest)
  if (known !== undefined) return { ...known, created: false }
  const written: Array<() => Promise<unknown>> = []
  if (read.created) written.push(() => ctx.blobs.delete(read.digest))
  try {
    signal?.throwIfAborted()
    const { roots, blocks } = read.summary
    const sorted = read.table.sortedUnique()
    const content = roots[0] ?? carCid(read.digest)
    const archive = encodeIndexArchive(content, read.digest, read.table, sorted)
    const { created } = await ctx.blobs.put(archive.digest, archive.size, chunksOf(archive.parts))
    if (created) written.push(() => ctx.blobs.delete(archive.digest))
    written.push(() => ctx.index.deleteMany(keysOf(read.table, sorted, read.digest)))
    await ctx.index.putMany(entriesOf(read.table, sorted, read.digest), signal ? { signal } : {})
    const record: CarRecord = {
      digest: read.digest,
      size: size ?? read.summary.size,
      roots,
      blocks,
      index: archive.cid,
      complete: read.completeness.complete(roots, read.table, sorted),
    }
    written.push(() => ctx.records.delete(read.digest))
    await ctx.records.put(record)
    for (const root of roots) {
      written.push(() => ctx.records.deleteRoot(root, read.digest))
      await ctx.records.putRoot(root, read.digest)
    }
    return { ...record, created: true }
  } catch (error) {
    for (const undo of written.reverse()) await undo().catch(() => {})
    throw signal?.aborted ? new ImportAbortedError(read.summary.size, { cause: signal.reason }) : error
  }
}

/** The one pass: the CAR's bytes into the blob store (`put` or `add`), each block verified on the way. */
async function readIntoBlobs(ctx: ImportContext, body: Body, options: ImportOptions): Promise<ReadCar> {
  const { signal } = options
  const table = new BlockTable()
  const completeness = new Completeness()
  const reader = new CarReader({
    maxBlockSize: ctx.maxBlockSize,
    maxHeaderSize: ctx.maxHeaderSize,
    onBlock: (block) => {
      table.add(block.cid.multihash.bytes, block.blockOffset, block.blockLength)
      completeness.add(block)
    },
  })
  let summary: CarSummary | undefined
  async function* tee(): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks(body)) {
      if (signal?.aborted) throw new ImportAbortedError(reader.offset, { cause: signal.reason })
      await reader.write(chunk)
      yield chunk
    }
    summary = await reader.end()
  }
  try {
    let digest: MultihashDigest
    let created: boolean
    if (options.digest !== undefined) {
      if (options.size === undefined) throw new RangeError('importCar with a digest needs its size')
      digest = options.digest
      created = (await ctx.blobs.put(digest, options.size, tee())).created
    } else {
      const added = await ctx.blobs.add(tee(), options.size === undefined ? {} : { size: options.size })
      digest = added.digest
      created = added.created
    }
    if (summary === undefined) {
      // `put` found the blob stored and left the body unread: read the stored, verified bytes.
      const { body: stored } = await ctx.blobs.get(digest, signal ? { signal } : {})
      for await (const chunk of stored) await reader.write(chunk)
      summary = await reader.end()
    }
    return { digest, summary, table, completeness, created }
  } catch (error) {
    reader.cancel(error)
    if (signal?.aborted && !(error instanceof ImportAbortedError)) {
      throw new ImportAbortedError(reader.offset, { cause: signal.reason })
    }
    throw error
  }
}

function* entriesOf(
  table: BlockTable,
  sorted: Uint32Array,
  blob: MultihashDigest,
): Generator<BlockIndexEntry> {
  for (const row of sorted) {
    const { offset, length } = table.row(row)
    yield { block: table.digest(row), location: { blob, offset, length } }
  }
}

function* keysOf(table: BlockTable, sorted: Uint32Array, blob: MultihashDigest): Generator<BlockIndexKey> {
  for (const row of sorted) {
    const { offset, length } = table.row(row)
    yield { block: table.digest(row), blob, offset, length }
  }
}

async function* chunksOf(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts
}

/** The CID of a CAR blob (codec car): the index's `content` when the CAR has no root. */
function carCid(digest: MultihashDigest): CID {
  return CID.createV1(0x0202, digest)
}
