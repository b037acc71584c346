import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { BlockTooLargeError, CarFormatError, HeaderTooLargeError } from '../errors.js'

/** A CAR section as the framing saw it: where it starts and its bytes, length varint included. */
export interface Section {
  offset: number
  length: number
}

/** Limits the framing enforces before buffering anything. */
export interface FramingLimits {
  /** The largest header (the dag-cbor bytes after its varint). */
  maxHeaderSize: number
  /** The largest section (CID + data, the value of its varint). */
  maxSectionSize: number
}

/** Sections shorter than this are kept whole: carstream never emits a last section under 8 bytes. */
const SMALL = 8
/** A CAR varint is at most 8 bytes here (56 bits, of which 53 are used: a safe integer). */
const MAX_VARINT_BYTES = 8

type State = 'headerLength' | 'header' | 'sectionLength' | 'section'

/**
 * The guard stage in front of carstream: reads only the CARv1 framing (the header's and each
 * section's length varints) as chunks pass, synchronously, and refuses what carstream would
 * accept unchecked, BEFORE carstream buffers it: a bad varint, an empty section, a header over
 * `maxHeaderSize`, a section over `maxSectionSize`, a header that is not CARv1, and, at the end,
 * truncation (including a last few bytes carstream would silently drop). It keeps the header (at
 * most `maxHeaderSize` bytes) to decode it, and nothing else but each section's position.
 */
export class CarFraming {
  readonly #limits: FramingLimits
  #state: State = 'headerLength'
  /** Bytes consumed so far: the absolute offset of the next byte. */
  #offset = 0
  #varint = 0
  #varintBytes = 0
  #start = 0
  #remaining = 0
  #header: Uint8Array | undefined
  #headerFill = 0
  #small: Uint8Array | undefined
  #smallFill = 0
  /** The roots, once the header has been read. */
  roots: CID[] | undefined
  /** Sections seen whole and not yet claimed by the block reader, in order. */
  readonly sections: Section[] = []
  /** The last section, when it was shorter than 8 bytes (carstream cannot emit it). */
  lastSmall: { section: Section; bytes: Uint8Array } | undefined

  constructor(limits: FramingLimits) {
    this.#limits = limits
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.#offset
  }

  /**
   * Reads the framing in `chunk`.
   * @throws {CarFormatError | HeaderTooLargeError | BlockTooLargeError}
   */
  push(chunk: Uint8Array): void {
    let at = 0
    while (at < chunk.byteLength) {
      if (this.#state === 'headerLength' || this.#state === 'sectionLength') {
        if (this.#varintBytes === 0) this.#start = this.#offset
        const byte = chunk[at++] as number
        this.#offset++
        this.#varint += (byte & 0x7f) * 2 ** (7 * this.#varintBytes)
        this.#varintBytes++
        if (byte & 0x80) {
          if (this.#varintBytes >= MAX_VARINT_BYTES) throw new CarFormatError(this.#start, 'bad varint')
          continue
        }
        const length = this.#varint
        this.#varint = 0
        this.#varintBytes = 0
        if (this.#state === 'headerLength') this.#headerLength(length)
        else this.#sectionLength(length)
      } else if (this.#state === 'header') {
        const header = this.#header as Uint8Array
        const take = Math.min(header.byteLength - this.#headerFill, chunk.byteLength - at)
        header.set(chunk.subarray(at, at + take), this.#headerFill)
        this.#headerFill += take
        at += take
        this.#offset += take
        if (this.#headerFill === header.byteLength) this.#readHeader(header)
      } else {
        const take = Math.min(this.#remaining, chunk.byteLength - at)
        if (this.#small) {
          this.#small.set(chunk.subarray(at, at + take), this.#smallFill)
          this.#smallFill += take
        }
        at += take
        this.#offset += take
        this.#remaining -= take
        if (this.#remaining === 0) this.#endSection()
      }
    }
  }

  /**
   * Checks that the CAR ended on a section boundary, after its header.
   * @throws {CarFormatError} the CAR is truncated.
   */
  end(): void {
    if (this.#state === 'sectionLength' && this.#varintBytes === 0) return
    const what = this.#state === 'section' ? 'section' : this.#state === 'header' ? 'header' : 'varint'
    const start = this.#state === 'header' ? 0 : this.#start
    throw new CarFormatError(start, `truncated ${what} (the CAR ends at byte ${this.#offset})`)
  }

  #headerLength(length: number): void {
    if (length === 0) throw new CarFormatError(0, 'empty header')
    if (length > this.#limits.maxHeaderSize) throw new HeaderTooLargeError(length, this.#limits.maxHeaderSize)
    this.#header = new Uint8Array(length)
    this.#state = 'header'
  }

  #readHeader(bytes: Uint8Array): void {
    let header: unknown
    try {
      header = dagCbor.decode(bytes)
    } catch (error) {
      throw new CarFormatError(0, 'header is not dag-cbor', { cause: error })
    }
    const { version, roots } = (header ?? {}) as { version?: unknown; roots?: unknown }
    if (version === 2) throw new CarFormatError(0, 'CARv2 is not supported: send the CARv1 inside it')
    if (version !== 1) throw new CarFormatError(0, `header version is ${String(version)}, not 1`)
    if (!Array.isArray(roots)) throw new CarFormatError(0, 'header has no roots array')
    this.roots = roots.map((root) => {
      const cid = CID.asCID(root)
      if (cid === null) throw new CarFormatError(0, 'a header root is not a CID')
      return cid
    })
    this.#header = undefined
    this.#state = 'sectionLength'
  }

  #sectionLength(length: number): void {
    if (length === 0) throw new CarFormatError(this.#start, 'empty section')
    if (length > this.#limits.maxSectionSize) {
      throw new BlockTooLargeError(this.#start, length, this.#limits.maxSectionSize)
    }
    this.#remaining = length
    const total = this.#offset - this.#start + length
    if (total < SMALL) {
      this.#small = new Uint8Array(total)
      this.#smallFill = total - length
      // the varint is one byte here (length < 8)
      this.#small[0] = length
    } else {
      this.#small = undefined
    }
    this.#state = 'section'
  }

  #endSection(): void {
    const section = { offset: this.#start, length: this.#offset - this.#start }
    this.sections.push(section)
    this.lastSmall = this.#small ? { section, bytes: this.#small } : undefined
    this.#small = undefined
    this.#state = 'sectionLength'
  }
}
