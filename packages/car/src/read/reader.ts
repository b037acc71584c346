import { CARReaderStream } from 'carstream'
import { CID } from 'multiformats/cid'
import { BlockTooLargeError, CarFormatError } from '../errors.js'
import { CarFraming, type Section } from './framing.js'
import { assertBlockHash, verifyBlock } from './verify.js'

/** A block read from a CAR: its CID, data and positions (absolute in the CAR). */
export interface CarBlock {
  cid: CID
  /** The block's data (after the varint and CID). */
  bytes: Uint8Array
  /** Where the section starts (its length varint). */
  offset: number
  /** The section's length: varint + CID + data. */
  length: number
  /** Where the data starts. */
  blockOffset: number
  /** The data's length. */
  blockLength: number
}

/** Options for {@link CarReader}. */
export interface CarReaderOptions {
  /** The largest block data accepted, in bytes. Default 2 MiB (bitswap's limit). */
  maxBlockSize?: number
  /** The largest CAR header accepted, in bytes. Default 64 KiB. */
  maxHeaderSize?: number
  /**
   * Check each block's hash against its CID (refusing hash functions other than sha2-256, sha2-512
   * and identity). Default true; `inspectCar` may turn it off to report any CAR.
   */
  verify?: boolean
  /** Called with each block as it is read, before its hash check has settled (see `end`). */
  onBlock?(block: CarBlock): void
}

/** What a CAR held, once {@link CarReader.end} has checked all of it. */
export interface CarSummary {
  roots: CID[]
  /** Block sections read. */
  blocks: number
  /** Bytes read: the CAR's size. */
  size: number
}

export const DEFAULT_MAX_BLOCK_SIZE = 2 * 1024 * 1024
export const DEFAULT_MAX_HEADER_SIZE = 64 * 1024
/** Room for the CID in a section: a section may declare up to `maxBlockSize` + this many bytes. */
export const CID_ALLOWANCE = 128
/** At most this many blocks, or this many bytes, are being hashed off the main thread at once. */
const WINDOW_BLOCKS = 64
const WINDOW_BYTES = 8 * 1024 * 1024

type Pending = { check: Promise<unknown>; bytes: number }
/** What carstream yields (its `Block & Position`). */
type Parsed = {
  cid: unknown
  bytes: Uint8Array
  offset: number
  length: number
  blockOffset: number
  blockLength: number
}

/**
 * Reads a CARv1 in one pass as its chunks are pushed in: the framing guard first (varints, limits,
 * truncation; see {@link CarFraming}), then carstream (CIDs and block bytes, buffering about one
 * block), then each block's hash check (sha2-256, sha2-512, identity; any other hash refused),
 * large blocks hashed off the main thread with a bounded window. Nothing is buffered beyond the
 * block being read and the blocks being hashed.
 *
 * Push each chunk with `write` (await it: that is the backpressure), then call `end`, which
 * settles only when every block has been verified. Either throws the first failure, typed:
 * `CarFormatError`, `HeaderTooLargeError`, `BlockTooLargeError`, `UnsupportedHashError`,
 * `DigestMismatchError` (each with `offset`, and `cid` where one was read).
 */
export class CarReader {
  readonly #framing: CarFraming
  readonly #maxBlockSize: number
  readonly #onBlock: ((block: CarBlock) => void) | undefined
  readonly #verify: boolean
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>
  readonly #consumed: Promise<void>
  #failure: unknown
  #blocks = 0

  constructor(options: CarReaderOptions = {}) {
    this.#maxBlockSize = options.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE
    this.#onBlock = options.onBlock
    this.#verify = options.verify ?? true
    this.#framing = new CarFraming({
      maxHeaderSize: options.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE,
      maxSectionSize: this.#maxBlockSize + CID_ALLOWANCE,
    })
    const stream = new CARReaderStream()
    this.#writer = stream.writable.getWriter()
    this.#consumed = this.#consume(stream.readable).catch((error: unknown) => {
      this.#fail(error)
    })
  }

  /** Bytes pushed so far. */
  get offset(): number {
    return this.#framing.offset
  }

  /**
   * Reads `chunk` (the caller must not modify it afterwards).
   * @throws the first failure of the CAR so far (see the class).
   */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    try {
      this.#framing.push(chunk)
    } catch (error) {
      this.#fail(error)
      throw error
    }
    await this.#writer.write(chunk).catch(() => {})
    if (this.#failure !== undefined) throw this.#failure
  }

  /**
   * Ends the CAR: checks it is not truncated and waits until every block has been verified.
   * @throws the first failure of the CAR (see the class).
   */
  async end(): Promise<CarSummary> {
    if (this.#failure === undefined) {
      try {
        this.#framing.end()
      } catch (error) {
        this.#fail(error)
      }
    }
    if (this.#failure === undefined) await this.#writer.close().catch(() => {})
    await this.#consumed
    if (this.#failure === undefined) this.#tail()
    if (this.#failure !== undefined) throw this.#failure
    return { roots: this.#framing.roots ?? [], blocks: this.#blocks, size: this.#framing.offset }
  }

  /** Stops reading (an abort or a failure elsewhere): releases carstream's buffer. */
  cancel(reason: unknown): void {
    this.#fail(reason)
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return
    this.#failure = error
    this.#writer.abort(error).catch(() => {})
  }

  async #consume(readable: ReadableStream<Parsed>): Promise<void> {
    const reader = readable.getReader()
    const pending: Pending[] = []
    let pendingBytes = 0
    for (;;) {
      let result: Awaited<ReturnType<ReadableStreamDefaultReader<Parsed>['read']>>
      try {
        result = await reader.read()
      } catch (error) {
        throw this.#failure ?? this.#carstreamError(error)
      }
      if (result.done) break
      const section = this.#framing.sections.shift()
      const block = result.value
      if (section === undefined || block.offset !== section.offset || block.length !== section.length) {
        throw new CarFormatError(section?.offset ?? block.offset, 'section does not hold its CID')
      }
      const check = this.#accept({ ...block, cid: CID.asCID(block.cid) as CID })
      if (check === undefined) continue
      pending.push({ check, bytes: block.blockLength })
      pendingBytes += block.blockLength
      while (pending.length >= WINDOW_BLOCKS || pendingBytes > WINDOW_BYTES) {
        const oldest = pending.shift() as Pending
        pendingBytes -= oldest.bytes
        await oldest.check
      }
    }
    await Promise.all(pending.map((entry) => entry.check))
  }

  /** Checks a block's size and hash function, starts its hash check, hands it on. */
  #accept(block: CarBlock): Promise<void> | undefined {
    const { cid, offset } = block
    if (block.blockLength < 0 || block.blockOffset > block.offset + block.length) {
      throw new CarFormatError(offset, 'the CID runs past the end of its section', { cid })
    }
    if (this.#verify) assertBlockHash(cid, offset)
    if (block.blockLength > this.#maxBlockSize) {
      throw new BlockTooLargeError(offset, block.blockLength, this.#maxBlockSize, { cid })
    }
    const check = this.#verify ? verifyBlock(cid, block.bytes, offset) : undefined
    this.#blocks++
    this.#onBlock?.(block)
    // A rejection is seen when the window awaits it; never let it go unhandled meanwhile.
    check?.catch(() => {})
    return check
  }

  /** carstream never emits a last section under 8 bytes: read it here, from the framing's copy. */
  #tail(): void {
    try {
      const left = this.#framing.sections
      if (left.length === 0) return
      const small = this.#framing.lastSmall
      const section = left[0] as Section
      if (left.length > 1 || small === undefined || small.section !== section) {
        throw new CarFormatError(section.offset, 'section not read')
      }
      left.shift()
      let cid: CID
      let data: Uint8Array
      try {
        ;[cid, data] = CID.decodeFirst(small.bytes.subarray(1))
      } catch (error) {
        throw new CarFormatError(section.offset, 'bad CID', { cause: error })
      }
      const blockLength = data.byteLength
      const blockOffset = section.offset + section.length - blockLength
      // identity or a tiny block: always checked synchronously
      void this.#accept({
        cid,
        bytes: data,
        offset: section.offset,
        length: section.length,
        blockOffset,
        blockLength,
      })
    } catch (error) {
      this.#fail(error)
    }
  }

  /** An error carstream raised, as a `CarFormatError` at the first section it did not emit. */
  #carstreamError(error: unknown): unknown {
    if (error instanceof Error && /^(CarFormat|BlockTooLarge|HeaderTooLarge)Error$/.test(error.name))
      return error
    const offset = this.#framing.sections[0]?.offset ?? this.#framing.offset
    const reason = error instanceof Error ? error.message : String(error)
    return new CarFormatError(offset, `bad section: ${reason}`, { cause: error })
  }
}
