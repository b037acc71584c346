import * as dagCbor from '@ipld/dag-cbor'
import { linksOf } from '@strata/car'
import { varint } from 'multiformats'
import type { CID } from 'multiformats/cid'
import { BlockTooLargeError } from './errors.js'
import type { BlockRead } from './strata-blockstore.js'
import { entityLinks } from './unixfs.js'

/** How much of the DAG under a root a CAR export holds (the Trustless Gateway's `dag-scope`). */
export type DagScope = 'all' | 'entity' | 'block'

/** Options for `StrataBlockstore.exportCar`. */
export interface ExportCarOptions {
  /** `all` (default): the whole DAG; `entity`: a whole UnixFS file, or a directory's own blocks; `block`: the root. */
  scope?: DagScope
  signal?: AbortSignal
}

const RAW = 0x55
const DAG_PB = 0x70
const IDENTITY = 0x00

/** What the export reads blocks with (the blockstore's `open`), and the largest block it decodes. */
export interface ExportSource {
  open(cid: CID, options: { signal?: AbortSignal }): Promise<BlockRead>
  maxBlockSize: number
}

/**
 * A CARv1 whose one root is `root`: the blocks of the scope in depth-first order (links in the
 * order the block lists them), each once (`dups=n`), identity blocks left out (their bytes are in
 * the CID). Raw blocks stream as they are read; a block whose links are followed is read whole
 * (at most `maxBlockSize`). Each block is verified as it is read.
 * @throws {NotFoundError} the root is missing: at the first `next()`, before any byte.
 * @throws {NotFoundError | DigestMismatchError | BlockTooLargeError} mid-stream, for a later block
 *   (the CAR is then incomplete: the stream errors, as the Trustless Gateway spec has it).
 */
export async function* exportDagCar(
  source: ExportSource,
  root: CID,
  options: ExportCarOptions = {},
): AsyncGenerator<Uint8Array> {
  const scope = options.scope ?? 'all'
  const io = options.signal ? { signal: options.signal } : {}
  const first = root.multihash.code === IDENTITY ? undefined : await source.open(root, io)
  yield frame(dagCbor.encode({ roots: [root], version: 1 }))
  const seen = new Set<string>()
  const stack: CID[] = [root]
  let opened = first
  while (stack.length > 0) {
    const cid = stack.pop() as CID
    const key = cid.toString()
    if (seen.has(key)) continue
    seen.add(key)
    let links: CID[] = []
    if (cid.multihash.code === IDENTITY) {
      if (scope !== 'block') links = linksTo(cid, cid.multihash.digest, scope)
    } else {
      const read = opened ?? (await source.open(cid, io))
      opened = undefined
      if (cid.code === RAW || scope === 'block') {
        yield sectionHead(cid, read.size)
        yield* read.body
      } else {
        const bytes = await whole(cid, read, source.maxBlockSize)
        yield sectionHead(cid, bytes.byteLength)
        yield bytes
        links = linksTo(cid, bytes, scope)
      }
    }
    if (scope === 'block') return
    for (let index = links.length - 1; index >= 0; index--) {
      const link = links[index] as CID
      if (!seen.has(link.toString())) stack.push(link)
    }
  }
}

/** The links of a block that the scope follows. */
function linksTo(cid: CID, bytes: Uint8Array, scope: DagScope): CID[] {
  if (scope === 'entity') return cid.code === DAG_PB ? entityLinks(bytes) : []
  return linksOf(cid, bytes) ?? []
}

async function whole(cid: CID, read: BlockRead, limit: number): Promise<Uint8Array> {
  if (read.size > limit) {
    await read.body.return(undefined)
    throw new BlockTooLargeError(cid, read.size, limit)
  }
  const out = new Uint8Array(read.size)
  let at = 0
  for await (const chunk of read.body) {
    if (at + chunk.byteLength > out.byteLength) throw new Error(`block ${cid} is longer than its stored size`)
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

function frame(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(varint.encodingLength(bytes.byteLength) + bytes.byteLength)
  varint.encodeTo(bytes.byteLength, out)
  out.set(bytes, out.byteLength - bytes.byteLength)
  return out
}

/** A section's varint (CID + data length) and CID; the data follows. */
function sectionHead(cid: CID, size: number): Uint8Array {
  const length = cid.bytes.byteLength + size
  const head = varint.encodingLength(length)
  const out = new Uint8Array(head + cid.bytes.byteLength)
  varint.encodeTo(length, out)
  out.set(cid.bytes, head)
  return out
}
