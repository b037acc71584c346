import type { Body } from '@strata/blobstore'
import { chunks } from '@strata/objectstore/body'
import { CID } from 'multiformats/cid'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import { BlockTable } from './index-archive/block-table.js'
import { codecName, linksOf } from './links.js'
import { CarReader, type CarReaderOptions } from './read/reader.js'

/** Options for {@link inspectCar}. */
export interface InspectOptions extends Pick<CarReaderOptions, 'maxBlockSize' | 'maxHeaderSize'> {
  /** Check each block's hash (refusing hash functions other than sha2-256/512 and identity). Default true. */
  verify?: boolean
  /** At most this many outside links are listed (all are counted). Default 100. */
  maxOutsideLinks?: number
}

/** What {@link inspectCar} found, as adenosine's `inspect` reports it. */
export interface CarInspection {
  version: 1
  roots: CID[]
  /** The CAR's size in bytes. */
  size: number
  /** Block sections (duplicates counted). */
  blocks: number
  /** Blocks per codec name (`dag-cbor`, `raw`, …, or `0x…` when unknown). */
  codecs: Record<string, number>
  /** Blocks per hash function name (`sha2-256`, …). */
  hashes: Record<string, number>
  /** Bytes of block data, and of the largest block. */
  totalBlockBytes: number
  largestBlock: { cid: CID; size: number } | undefined
  /** Distinct links (and roots) to blocks not in the CAR: the count, and the first `maxOutsideLinks`. */
  outsideLinkCount: number
  outsideLinks: CID[]
  /** Blocks whose bytes do not decode with their codec (their links are not known). */
  undecodable: number
}

/**
 * Inspects a CARv1 from a local file or stream, in one pass, without a server or any storage.
 * @throws the import errors of `CarReader` (`CarFormatError`, `BlockTooLargeError`, …).
 */
export async function inspectCar(body: Body, options: InspectOptions = {}): Promise<CarInspection> {
  const blocks = new BlockTable()
  // links packed like blocks: the multihash in the arena, the CID's codec and version in the row
  const links = new BlockTable()
  const found: Omit<
    CarInspection,
    'version' | 'roots' | 'size' | 'blocks' | 'outsideLinkCount' | 'outsideLinks'
  > = {
    codecs: {},
    hashes: {},
    totalBlockBytes: 0,
    largestBlock: undefined,
    undecodable: 0,
  }
  const count = (into: Record<string, number>, key: string) => {
    into[key] = (into[key] ?? 0) + 1
  }
  const reader = new CarReader({
    ...options,
    onBlock: ({ cid, bytes }) => {
      blocks.add(cid.multihash.bytes, 0, 0)
      count(found.codecs, codecName(cid.code))
      count(found.hashes, codecName(cid.multihash.code))
      found.totalBlockBytes += bytes.byteLength
      if (!found.largestBlock || bytes.byteLength > found.largestBlock.size) {
        found.largestBlock = { cid, size: bytes.byteLength }
      }
      try {
        for (const link of linksOf(cid, bytes) ?? []) links.add(link.multihash.bytes, link.code, link.version)
      } catch {
        found.undecodable++
      }
    },
  })
  try {
    for await (const chunk of chunks(body)) await reader.write(chunk)
  } catch (error) {
    reader.cancel(error)
    throw error
  }
  const summary = await reader.end()
  for (const root of summary.roots) links.add(root.multihash.bytes, root.code, root.version)
  const sorted = blocks.sortedUnique()
  const outside = new Map<string, CID>()
  let outsideLinkCount = 0
  const seen = new Set<string>()
  for (const row of links.sortedUnique()) {
    const { multihash, offset: code, length: version } = links.row(row)
    if (blocks.includes(sorted, multihash)) continue
    const cid = CID.create(version as 0 | 1, code, decodeDigest(multihash.slice()))
    const key = cid.toString()
    if (seen.has(key)) continue
    seen.add(key)
    outsideLinkCount++
    if (outside.size < (options.maxOutsideLinks ?? 100)) outside.set(key, cid)
  }
  return {
    version: 1,
    roots: summary.roots,
    size: summary.size,
    blocks: summary.blocks,
    ...found,
    outsideLinkCount,
    outsideLinks: [...outside.values()],
  }
}
