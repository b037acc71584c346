import * as dagCbor from '@ipld/dag-cbor'
import type { BlobStore } from '@strata/blobstore'
import { varint } from 'multiformats'
import type { CID } from 'multiformats/cid'
import { readBlock } from './blocks.js'
import type { BlockIndex, ExportScope } from './contract.js'
import { linksOf } from './links.js'
import type { CarRecords } from './records.js'

/** Options for `CarStore.exportCar`. */
export interface ExportOptions {
  /** `all` (default): the DAG under the root; `block`: the root block alone. */
  scope?: ExportScope
  signal?: AbortSignal
}

/** What an export works with (the `CarStore`'s parts). */
export interface ExportContext {
  blobs: BlobStore
  index: BlockIndex
  records: CarRecords
}

/**
 * A CARv1 of `root` (see `CarStore.exportCar`): a stored CAR served as stored when one has exactly
 * that root and holds all the scope asks for, else a depth-first walk.
 */
export async function* exportCar(
  ctx: ExportContext,
  root: CID,
  options: ExportOptions = {},
): AsyncGenerator<Uint8Array> {
  const scope = options.scope ?? 'all'
  const io = options.signal ? { signal: options.signal } : {}
  const stored = await storedCar(ctx, root, scope, options.signal)
  if (stored !== undefined) {
    yield* stored
    return
  }
  yield* walk(ctx, root, scope, io)
}

/** The body of a stored CAR whose only root is `root` and which holds the whole scope, if any. */
async function storedCar(
  ctx: ExportContext,
  root: CID,
  scope: ExportScope,
  signal: AbortSignal | undefined,
): Promise<AsyncIterable<Uint8Array> | undefined> {
  const io = signal ? { signal } : {}
  for await (const car of ctx.records.carsWithRoot(root, io)) {
    const record = await ctx.records.get(car, io)
    if (record === undefined || record.roots.length !== 1 || !record.roots[0]?.equals(root)) continue
    if (scope === 'all' ? !record.complete : record.blocks !== 1) continue
    try {
      return (await ctx.blobs.get(car, io)).body
    } catch (error) {
      if (error instanceof Error && error.name === 'NotFoundError') continue
      throw error
    }
  }
  return undefined
}

/**
 * Header, then each block of the DAG once, depth first in link order (dag-cbor, dag-pb, dag-json
 * links; raw and other codecs are leaves), each framed as read (verified, never re-encoded).
 * @throws {BlockNotFoundError} a block of the DAG is missing (the root: before any byte is yielded).
 */
async function* walk(
  ctx: ExportContext,
  root: CID,
  scope: ExportScope,
  io: { signal?: AbortSignal },
): AsyncGenerator<Uint8Array> {
  const first = await readBlock(ctx.blobs, ctx.index, root, io)
  yield frame(dagCbor.encode({ roots: [root], version: 1 }))
  const seen = new Set<string>()
  const stack: Array<{ cid: CID; bytes?: Uint8Array }> = [{ cid: root, bytes: first }]
  while (stack.length > 0) {
    const { cid, bytes: known } = stack.pop() as { cid: CID; bytes?: Uint8Array }
    const key = cid.toString()
    if (seen.has(key)) continue
    seen.add(key)
    const bytes = known ?? (await readBlock(ctx.blobs, ctx.index, cid, io))
    yield section(cid, bytes)
    if (scope === 'block') return
    const links = linksOf(cid, bytes) ?? []
    for (let index = links.length - 1; index >= 0; index--) {
      const link = links[index] as CID
      if (!seen.has(link.toString())) stack.push({ cid: link })
    }
  }
}

function frame(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(varint.encodingLength(bytes.byteLength) + bytes.byteLength)
  varint.encodeTo(bytes.byteLength, out)
  out.set(bytes, out.byteLength - bytes.byteLength)
  return out
}

function section(cid: CID, bytes: Uint8Array): Uint8Array {
  const length = cid.bytes.byteLength + bytes.byteLength
  const out = new Uint8Array(varint.encodingLength(length) + length)
  varint.encodeTo(length, out)
  const at = varint.encodingLength(length)
  out.set(cid.bytes, at)
  out.set(bytes, at + cid.bytes.byteLength)
  return out
}
