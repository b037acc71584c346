/**
 * Reads the block multihashes back out of an `index/sharded/dag@0.1` archive (see `archive.ts`):
 * the slices of the shard block that names one CAR. Used to find a CAR's location entries when it
 * is deleted (the entries are keyed by block first, so the CAR alone cannot find them).
 *
 * The archive is walked as bytes — CAR framing, then the shard block's CBOR heads — without building
 * a JS value per slice: an archive of 1 M blocks (~45 MB) costs its bytes and nothing more.
 * @packageDocumentation
 */
import { varint } from 'multiformats'
import { CID } from 'multiformats/cid'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'

const DAG_CBOR = 0x71

/**
 * The multihashes of the blocks an index archive places in `car`, in archive order.
 * @throws {Error} the bytes are not an index archive, or none of its shards is `car`'s.
 */
export function slicesOf(archive: Uint8Array, car: MultihashDigest): MultihashDigest[] {
  let at = 0
  const [headerLength, headerBytes] = varint.decode(archive, at)
  at += headerBytes + headerLength
  while (at < archive.byteLength) {
    const [sectionLength, lengthBytes] = varint.decode(archive, at)
    const start = at + lengthBytes
    const end = start + sectionLength
    if (end > archive.byteLength) throw new Error('truncated index archive')
    const [cid, rest] = CID.decodeFirst(archive.subarray(start, end))
    if (cid.code === DAG_CBOR) {
      const slices = shardSlices(rest, car)
      if (slices !== undefined) return slices
    }
    at = end
  }
  throw new Error('the index archive has no shard for this CAR')
}

/** The slices of a shard block `[shard, [[slice, [offset, length]], …]]`, if `shard` is `car`. */
function shardSlices(block: Uint8Array, car: MultihashDigest): MultihashDigest[] | undefined {
  const cbor = new Heads(block)
  if (!cbor.is(4, 2)) return undefined
  const shard = cbor.bytes()
  if (shard === undefined || !equal(shard, car.bytes)) return undefined
  const count = cbor.head(4)
  const slices: MultihashDigest[] = []
  for (let i = 0; i < count; i++) {
    if (!cbor.is(4, 2)) throw new Error('malformed shard slice')
    const slice = cbor.bytes()
    if (slice === undefined || !cbor.is(4, 2)) throw new Error('malformed shard slice')
    cbor.head(0)
    cbor.head(0)
    slices.push(decodeDigest(slice.slice()))
  }
  return slices
}

/** A cursor over CBOR heads (major type and argument), enough for the shard block's shape. */
class Heads {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  #at = 0

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Reads a head of `major`, answering its argument. @throws {Error} another type or truncation. */
  head(major: number): number {
    const first = this.#bytes[this.#at]
    if (first === undefined || first >> 5 !== major) throw new Error(`expected CBOR major type ${major}`)
    const info = first & 31
    this.#at += 1
    if (info < 24) return info
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
    if (size === 0 || this.#at + size > this.#bytes.byteLength) throw new Error('malformed CBOR head')
    const value =
      size === 1
        ? this.#view.getUint8(this.#at)
        : size === 2
          ? this.#view.getUint16(this.#at)
          : size === 4
            ? this.#view.getUint32(this.#at)
            : Number(this.#view.getBigUint64(this.#at))
    this.#at += size
    return value
  }

  /** Reads a head when it is `major` with argument `value`; answers false (reading nothing) otherwise. */
  is(major: number, value: number): boolean {
    const at = this.#at
    try {
      if (this.head(major) === value) return true
    } catch {
      // not this head
    }
    this.#at = at
    return false
  }

  /** A byte string, or undefined (reading nothing) when the next item is not one. */
  bytes(): Uint8Array | undefined {
    const at = this.#at
    try {
      const length = this.head(2)
      if (this.#at + length > this.#bytes.byteLength) throw new Error('truncated')
      const out = this.#bytes.subarray(this.#at, this.#at + length)
      this.#at += length
      return out
    } catch {
      this.#at = at
      return undefined
    }
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
