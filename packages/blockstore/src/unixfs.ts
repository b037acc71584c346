import * as dagPb from '@ipld/dag-pb'
import type { CID } from 'multiformats/cid'

/** UnixFS node types (the `Type` field of the `Data` message). */
const RAW = 0
const FILE = 2
const HAMT_SHARD = 5

/**
 * The links to follow for `dag-scope=entity` (Trustless Gateway spec) from a dag-pb node: what it
 * takes to read a whole UnixFS file (every link of a `File` or `Raw` node), or to enumerate a
 * directory (a plain `Directory`: none; a `HAMTShard`: its sub-shards, whose link names are the
 * bare hex prefix). Not UnixFS, a symlink or metadata: none (entity = the block).
 * @throws {Error} the bytes are not dag-pb.
 */
export function entityLinks(bytes: Uint8Array): CID[] {
  const node = dagPb.decode(bytes)
  const data = node.Data === undefined ? undefined : unixfsFields(node.Data)
  if (data === undefined) return []
  if (data.type === FILE || data.type === RAW) return node.Links.map((link) => link.Hash)
  if (data.type === HAMT_SHARD) {
    const prefix = ((data.fanout ?? 256) - 1).toString(16).length
    return node.Links.filter((link) => (link.Name ?? '').length === prefix).map((link) => link.Hash)
  }
  return []
}

/**
 * `Type` (field 1) and `fanout` (field 6) of a UnixFS `Data` protobuf message, or undefined when
 * the bytes are not one (a dag-pb node whose Data is something else).
 */
function unixfsFields(bytes: Uint8Array): { type: number; fanout?: number } | undefined {
  let at = 0
  let type: number | undefined
  let fanout: number | undefined
  const varint = (): number => {
    let value = 0
    let shift = 0
    for (;;) {
      const byte = bytes[at++]
      if (byte === undefined || shift > 49) throw new RangeError('truncated varint')
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
      shift += 7
    }
  }
  try {
    while (at < bytes.byteLength) {
      const tag = varint()
      const field = Math.floor(tag / 8)
      const wire = tag % 8
      if (wire === 0) {
        const value = varint()
        if (field === 1) type = value
        if (field === 6) fanout = value
      } else if (wire === 2) {
        at += varint()
      } else if (wire === 1) {
        at += 8
      } else if (wire === 5) {
        at += 4
      } else {
        return undefined
      }
      if (at > bytes.byteLength) return undefined
    }
  } catch {
    return undefined
  }
  return type === undefined ? undefined : fanout === undefined ? { type } : { type, fanout }
}
