import { varint } from 'multiformats'
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'

/** One row of a {@link BlockTable}. */
export interface BlockRow {
  /** The block's multihash bytes (a view into the table: copy it to keep it). */
  multihash: Uint8Array
  /** Absolute offset of the block's data in the CAR. */
  offset: number
  /** Length of the block's data. */
  length: number
}

/**
 * Every block of a CAR, packed: multihash bytes in one growing arena, positions in typed arrays:
 * about 50 bytes a block (a 130 k-block CAR: ~7 MiB) instead of a few hundred for objects. The
 * index archive and the location records are made from it after the CAR has been read.
 */
export class BlockTable {
  #arena = new Uint8Array(64 * 1024)
  #used = 0
  #starts = new Float64Array(1024)
  #digestAt = new Uint8Array(1024)
  #offsets = new Float64Array(1024)
  #lengths = new Float64Array(1024)
  #count = 0

  /** Rows added. */
  get size(): number {
    return this.#count
  }

  add(multihash: Uint8Array, offset: number, length: number): void {
    if (this.#count === this.#starts.length) this.#growRows()
    while (this.#used + multihash.byteLength > this.#arena.byteLength) {
      const arena = new Uint8Array(this.#arena.byteLength * 2)
      arena.set(this.#arena.subarray(0, this.#used))
      this.#arena = arena
    }
    this.#arena.set(multihash, this.#used)
    const row = this.#count++
    this.#starts[row] = this.#used
    this.#digestAt[row] = digestStart(multihash)
    this.#offsets[row] = offset
    this.#lengths[row] = length
    this.#used += multihash.byteLength
  }

  row(index: number): BlockRow {
    return {
      multihash: this.#multihash(index),
      offset: this.#offsets[index] ?? 0,
      length: this.#lengths[index] ?? 0,
    }
  }

  /** The row's multihash as a digest object (copied out of the table). */
  digest(index: number): MultihashDigest {
    return decodeDigest(this.#multihash(index).slice())
  }

  /**
   * Row indexes sorted as Storacha sorts slices: by the digest bytes (the multihash without its
   * code and length), ties by the whole multihash; a block present more than once keeps its LAST
   * position (as Storacha's digest map does when the same slice is set twice).
   */
  sortedUnique(): Uint32Array {
    const order = new Uint32Array(this.#count)
    for (let index = 0; index < order.length; index++) order[index] = index
    order.sort((a, b) => this.#compareRows(a, b) || b - a)
    const unique: number[] = []
    for (const index of order) {
      const last = unique.at(-1)
      if (last !== undefined && this.#compareRows(last, index) === 0) continue
      unique.push(index)
    }
    return Uint32Array.from(unique)
  }

  /**
   * Whether `multihash` is in the table, by binary search over `sorted` (from {@link sortedUnique}).
   */
  includes(sorted: Uint32Array, multihash: Uint8Array): boolean {
    const digestAt = digestStart(multihash)
    let low = 0
    let high = sorted.length - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      const row = sorted[middle] as number
      const start = this.#starts[row] as number
      const order =
        compareRange(
          this.#arena,
          start + (this.#digestAt[row] as number),
          this.#end(row),
          multihash,
          digestAt,
          multihash.byteLength,
        ) || compareRange(this.#arena, start, this.#end(row), multihash, 0, multihash.byteLength)
      if (order === 0) return true
      if (order < 0) low = middle + 1
      else high = middle - 1
    }
    return false
  }

  #end(index: number): number {
    return index + 1 < this.#count ? (this.#starts[index + 1] as number) : this.#used
  }

  #multihash(index: number): Uint8Array {
    return this.#arena.subarray(this.#starts[index] ?? 0, this.#end(index))
  }

  /** Rows compared by digest bytes, then whole multihash, without allocating. */
  #compareRows(a: number, b: number): number {
    const arena = this.#arena
    const startA = this.#starts[a] as number
    const startB = this.#starts[b] as number
    const endA = this.#end(a)
    const endB = this.#end(b)
    return (
      compareRange(
        arena,
        startA + (this.#digestAt[a] as number),
        endA,
        arena,
        startB + (this.#digestAt[b] as number),
        endB,
      ) || compareRange(arena, startA, endA, arena, startB, endB)
    )
  }

  #growRows(): void {
    const grow = <T extends Float64Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(old.length * 2)
      next.set(old)
      return next
    }
    this.#starts = grow(this.#starts, (n) => new Float64Array(n))
    this.#digestAt = grow(this.#digestAt, (n) => new Uint8Array(n))
    this.#offsets = grow(this.#offsets, (n) => new Float64Array(n))
    this.#lengths = grow(this.#lengths, (n) => new Float64Array(n))
  }
}

/** Where a multihash's digest starts: after its code and length varints (two bytes, commonly). */
function digestStart(multihash: Uint8Array): number {
  if ((multihash[0] as number) < 0x80 && (multihash[1] as number) < 0x80) return 2
  const [, codeBytes] = varint.decode(multihash)
  const [, lengthBytes] = varint.decode(multihash, codeBytes)
  return codeBytes + lengthBytes
}

/** Bytewise comparison of `a[aStart..aEnd)` and `b[bStart..bEnd)`, shorter first on a common prefix. */
function compareRange(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart)
  for (let index = 0; index < length; index++) {
    const diff = (a[aStart + index] as number) - (b[bStart + index] as number)
    if (diff !== 0) return diff
  }
  return aEnd - aStart - (bEnd - bStart)
}

/** Bytewise comparison, as `uint8arrays`' `compare`. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.byteLength, b.byteLength)
  for (let index = 0; index < length; index++) {
    const diff = (a[index] as number) - (b[index] as number)
    if (diff !== 0) return diff
  }
  return a.byteLength - b.byteLength
}
