import { CID } from 'multiformats/cid'

const TAG_CID = 42

/**
 * The CIDs in a DAG-CBOR block, found by scanning its tokens without building the value: every
 * tag 42 (a byte string: 0x00 then the CID's bytes). About five times faster than decoding the
 * block and walking it, which matters at import, where every block's links are read.
 * @throws {Error} the bytes are not well-formed CBOR of the DAG-CBOR subset (indefinite lengths,
 *   a truncated item, trailing bytes, a tag other than 42, a malformed CID).
 */
export function cborLinks(bytes: Uint8Array): CID[] {
  const links: CID[] = []
  scanCborLinks(bytes, (cid) => {
    links.push(CID.decode(cid))
  })
  return links
}

/**
 * Calls `visit` with the bytes of each CID in a DAG-CBOR block (a view into `bytes`, without the
 * 0x00 prefix), in order, without building any object.
 * @throws {Error} as {@link cborLinks}.
 */
export function scanCborLinks(bytes: Uint8Array, visit: (cid: Uint8Array) => void): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  // items still to read; maps count two per entry
  let pending = 1
  let cidNext = false
  const argument = (info: number): number => {
    if (info < 24) return info
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
    if (size === 0) throw new Error(`unsupported CBOR additional info ${info}`)
    if (at + size > bytes.byteLength) throw new Error('truncated CBOR')
    const value =
      size === 1
        ? view.getUint8(at)
        : size === 2
          ? view.getUint16(at)
          : size === 4
            ? view.getUint32(at)
            : Number(view.getBigUint64(at))
    at += size
    return value
  }
  while (pending > 0) {
    if (at >= bytes.byteLength) throw new Error('truncated CBOR')
    const initial = bytes[at++] as number
    const major = initial >> 5
    const info = initial & 0x1f
    pending--
    if (cidNext && major !== 2) throw new Error('tag 42 must hold a byte string')
    switch (major) {
      case 0:
      case 1:
        argument(info)
        break
      case 2:
      case 3: {
        const length = argument(info)
        if (at + length > bytes.byteLength) throw new Error('truncated CBOR')
        if (cidNext) {
          if (length === 0 || bytes[at] !== 0) throw new Error('a CID must start with 0x00')
          visit(bytes.subarray(at + 1, at + length))
          cidNext = false
        }
        at += length
        break
      }
      case 4:
        pending += argument(info)
        break
      case 5:
        pending += 2 * argument(info)
        break
      case 6:
        if (argument(info) !== TAG_CID) throw new Error('DAG-CBOR allows tag 42 only')
        cidNext = true
        pending++
        break
      default:
        // floats and simple values: 20-23 are one byte, 25-27 carry 2, 4 or 8 bytes
        if (info >= 24) argument(info)
    }
  }
  if (at !== bytes.byteLength) throw new Error('trailing bytes after the CBOR value')
}

/**
 * The multihash inside a CID's bytes (a view): all of a CIDv0, after the version and codec of a
 * CIDv1.
 * @throws {Error} not a CIDv0 or CIDv1 whose multihash fills the rest of the bytes.
 */
export function multihashOfCid(cid: Uint8Array): Uint8Array {
  if (cid[0] === 0x12 && cid[1] === 0x20 && cid.byteLength === 34) return cid
  if (cid[0] !== 1) throw new Error('not a CIDv1')
  let at = 1
  while (at < cid.byteLength && (cid[at] as number) >= 0x80) at++
  const start = at + 1
  let length = 0
  let shift = 0
  let cursor = start
  while (cursor < cid.byteLength && (cid[cursor] as number) >= 0x80) cursor++
  cursor++
  for (;;) {
    if (cursor >= cid.byteLength) throw new Error('truncated multihash')
    const byte = cid[cursor++] as number
    length += (byte & 0x7f) * 2 ** shift
    shift += 7
    if (byte < 0x80) break
  }
  if (cursor + length !== cid.byteLength) throw new Error('multihash length does not fill the CID')
  return cid.subarray(start)
}
