import * as dagCbor from '@ipld/dag-cbor'
import * as dagJson from '@ipld/dag-json'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { cborLinks } from './cbor-links.js'

/** Multicodec codes of the codecs whose links the package follows. */
export const RAW = 0x55
export const DAG_PB = dagPb.code
export const DAG_CBOR = dagCbor.code
export const DAG_JSON = dagJson.code

/** Names of common multicodecs (codecs and hash functions), for histograms. */
export const CODEC_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00, 'identity'],
  [0x12, 'sha2-256'],
  [0x13, 'sha2-512'],
  [0x1e, 'blake3'],
  [0xb220, 'blake2b-256'],
  [RAW, 'raw'],
  [DAG_PB, 'dag-pb'],
  [DAG_CBOR, 'dag-cbor'],
  [DAG_JSON, 'dag-json'],
  [0x0200, 'json'],
  [0x0202, 'car'],
])

/** The name of a multicodec, or its code in hex. */
export function codecName(code: number): string {
  return CODEC_NAMES.get(code) ?? `0x${code.toString(16)}`
}

/**
 * The links in a block: every CID in a dag-cbor or dag-json value, every `Hash` of a dag-pb
 * node, none in raw. `undefined` for any other codec (its links cannot be read).
 * @throws {Error} the bytes do not decode with the CID's codec.
 */
export function linksOf(cid: CID, bytes: Uint8Array): CID[] | undefined {
  switch (cid.code) {
    case RAW:
      return []
    case DAG_PB:
      return dagPb.decode(bytes).Links.map((link) => link.Hash)
    case DAG_CBOR:
      return cborLinks(bytes)
    case DAG_JSON:
      return collect(dagJson.decode(bytes), [])
    default:
      return undefined
  }
}

function collect(value: unknown, into: CID[]): CID[] {
  if (value === null || typeof value !== 'object') return into
  const cid = CID.asCID(value)
  if (cid !== null) {
    into.push(cid)
    return into
  }
  if (value instanceof Uint8Array) return into
  if (Array.isArray(value)) {
    for (const item of value) collect(item, into)
    return into
  }
  for (const key in value) collect((value as Record<string, unknown>)[key], into)
  return into
}
