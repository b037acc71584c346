import type { BlobStore } from '@strata/blobstore'
import { type CarStore, DEFAULT_MAX_BLOCK_SIZE } from '@strata/car'
import type { Blockstore, InputPair, Pair } from 'interface-blockstore'
import { NotFoundError } from 'interface-store'
import { equals } from 'multiformats/bytes'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { type ExportCarOptions, exportDagCar } from './car-export.js'
import { type BlockInput, gather, inOrder, once, plain, verified } from './chunks.js'
import { IdentityMismatchError, ReadOnlyError } from './errors.js'

/** The identity multihash: the CID carries the block itself. */
const IDENTITY = 0x00

/** Options of every method: an abort signal. */
export interface AbortOptions {
  signal?: AbortSignal
}

/** Options for {@link StrataBlockstore}. */
export interface StrataBlockstoreOptions {
  /**
   * Where blocks put through the blockstore go, each a blob keyed by its multihash (a
   * `VerifiedBlobStore` on any backend). Opened and closed by the caller.
   */
  blobs: BlobStore
  /** Blocks inside imported CARs, found through its block index (read only). Default: none. */
  cars?: CarStore
  /** Refuse every write (`ReadOnlyError`), e.g. over a Kubo repository. Default false. */
  readOnly?: boolean
  /** The largest block `put` accepts, in bytes. Default 2 MiB, as a CAR import. */
  maxBlockSize?: number
  /** `get` yields chunks of at least this many bytes (but the last). Default 64 KiB. */
  chunkSize?: number
  /** `putMany` and `deleteMany` calls in flight. Default 8. */
  concurrency?: number
  /**
   * Where reads look first: `blobs` (default; blocks put through the blockstore) or `cars` (a
   * gateway whose blocks mostly come in CARs: an index miss costs less than a file or S3 miss).
   */
  prefer?: 'blobs' | 'cars'
}

/** A block opened for reading: its size, and its bytes verified as they stream. */
export interface BlockRead {
  size: number
  /** Where it was found: a blob of its own, a CAR holding it, or the identity CID itself. */
  source: 'blob' | 'car' | 'identity'
  /** The bytes, in chunks of at least `chunkSize` (a blob's: verified as they stream). */
  body: AsyncGenerator<Uint8Array>
  /**
   * The whole block, already verified, when it is in hand (a block of a CAR, an identity CID):
   * one write instead of reading `body` (which then needs no closing: it holds no handle).
   */
  bytes?: Uint8Array
}

/**
 * An interface-blockstore 7 `Blockstore` over a strata blob store (and, optionally, the blocks of
 * imported CARs), on any backend: memory, flatfs, S3.
 *
 * - Keys are multihashes: a block under its CIDv0 and its CIDv1 (or under two codecs) is one blob.
 * - Every `put` is verified against the CID's multihash (sha2-256 or sha2-512, by the blob store,
 *   while the bytes are written; nothing is stored on a mismatch), and every `get` again while
 *   the bytes stream (a block changed on disk or in the bucket is an error, never bytes).
 * - Identity CIDs carry their bytes: `put` checks them and stores nothing, `get` and `has` need no I/O.
 * - `get` looks in the blob store first, then in the imported CARs (`CarStore.getBlock`).
 * - `delete` removes the block's blob. A block that also lies inside an imported CAR stays
 *   readable (and `has` stays true) until that CAR is removed: CARs are immutable blobs that other
 *   parties hold by digest, never rewritten to drop one block.
 * - `getAll` yields every blob of the blob store as a block (CIDv1, raw codec: the key holds no
 *   codec), not the blocks that live only inside CARs (the block index is a lookup, not a listing).
 */
export class StrataBlockstore implements Blockstore {
  readonly #blobs: BlobStore
  readonly #cars: CarStore | undefined
  readonly #readOnly: boolean
  readonly #maxBlockSize: number
  readonly #chunkSize: number
  readonly #concurrency: number
  readonly #carsFirst: boolean

  constructor(options: StrataBlockstoreOptions) {
    this.#blobs = options.blobs
    this.#cars = options.cars
    this.#readOnly = options.readOnly ?? false
    this.#maxBlockSize = options.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE
    this.#chunkSize = options.chunkSize ?? 64 * 1024
    this.#concurrency = options.concurrency ?? 8
    this.#carsFirst = options.prefer === 'cars' && options.cars !== undefined
  }

  /**
   * Stores the block, verified against `cid`'s multihash as it is written; a block already stored
   * is not written again. Chunked input is gathered (at most `maxBlockSize` bytes) first.
   * @throws {ReadOnlyError} the blockstore is read-only.
   * @throws {BlockTooLargeError} over `maxBlockSize`.
   * @throws {DigestMismatchError} the bytes do not hash to the CID; nothing was stored.
   * @throws {UnsupportedHashError} the CID's hash function is not sha2-256, sha2-512 or identity.
   */
  async put(cid: CID, bytes: BlockInput, options: AbortOptions = {}): Promise<CID> {
    this.#writable('put')
    const { signal } = options
    signal?.throwIfAborted()
    const block = await gather(cid, bytes, this.#maxBlockSize, signal)
    if (cid.multihash.code === IDENTITY) {
      if (!equals(block, cid.multihash.digest)) throw new IdentityMismatchError(cid)
      return cid
    }
    await this.#blobs.put(cid.multihash, block.byteLength, block, signal ? { signal } : {})
    return cid
  }

  /** Puts each pair (up to `concurrency` at once); yields each CID once stored, in input order. */
  async *putMany(
    source: Iterable<InputPair> | AsyncIterable<InputPair>,
    options: AbortOptions = {},
  ): AsyncGenerator<CID> {
    this.#writable('putMany')
    options.signal?.throwIfAborted()
    yield* inOrder(source, this.#concurrency, (pair) => this.put(pair.cid, pair.bytes, options))
  }

  /**
   * The block's bytes, verified as they stream (see {@link StrataBlockstore.open}).
   * @throws {NotFoundError} no blob and no imported CAR holds the block.
   * @throws {DigestMismatchError} the stored bytes do not hash to the CID (instead of the last chunk).
   */
  async *get(cid: CID, options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
    yield* (await this.open(cid, options)).body
  }

  /** `{ cid, bytes }` for each CID, in order; a missing block fails when its `bytes` are read. */
  async *getMany(
    source: Iterable<CID> | AsyncIterable<CID>,
    options: AbortOptions = {},
  ): AsyncGenerator<Pair> {
    options.signal?.throwIfAborted()
    for await (const cid of source) {
      options.signal?.throwIfAborted()
      yield { cid, bytes: this.get(cid, options) }
    }
  }

  /** Every blob of the blob store as a block: `{ cid: CIDv1 raw, bytes }`, in no order. */
  async *getAll(options: AbortOptions = {}): AsyncGenerator<Pair> {
    const { signal } = options
    signal?.throwIfAborted()
    for await (const digest of this.#blobs.list(signal ? { signal } : {})) {
      signal?.throwIfAborted()
      const cid = CID.createV1(raw.code, digest)
      yield { cid, bytes: this.get(cid, options) }
    }
  }

  /**
   * Whether the block can be read: an identity CID, a blob, or a block of an imported CAR (looked
   * for in the order `prefer` names).
   */
  async has(cid: CID, options: AbortOptions = {}): Promise<boolean> {
    const { signal } = options
    signal?.throwIfAborted()
    if (cid.multihash.code === IDENTITY) return true
    const io = signal ? { signal } : {}
    const inCars = async () => this.#cars !== undefined && (await this.#cars.hasBlock(cid, io))
    if (this.#carsFirst) return (await inCars()) || (await this.#blobs.has(cid.multihash, io))
    return (await this.#blobs.has(cid.multihash, io)) || (await inCars())
  }

  /**
   * Removes the block's blob (removing a missing block is not an error). A block inside an
   * imported CAR stays readable until that CAR is removed.
   * @throws {ReadOnlyError} the blockstore is read-only.
   */
  async delete(cid: CID, options: AbortOptions = {}): Promise<void> {
    this.#writable('delete')
    const { signal } = options
    signal?.throwIfAborted()
    if (cid.multihash.code === IDENTITY) return
    await this.#blobs.delete(cid.multihash, signal ? { signal } : {})
  }

  /** Deletes each CID (up to `concurrency` at once); yields each once deleted, in input order. */
  async *deleteMany(
    source: Iterable<CID> | AsyncIterable<CID>,
    options: AbortOptions = {},
  ): AsyncGenerator<CID> {
    this.#writable('deleteMany')
    options.signal?.throwIfAborted()
    yield* inOrder(source, this.#concurrency, async (cid) => {
      await this.delete(cid, options)
      return cid
    })
  }

  /**
   * Opens a block for reading: its size, where it was found, and its bytes (in chunks of at least
   * `chunkSize`; a smaller block is one chunk). A blob's bytes are hashed as they stream and the
   * last chunk is held back until they verify; a block of a CAR is read and verified whole (it is
   * at most the CAR's `maxBlockSize`) and is also given as `bytes`. An HTTP answer can send headers
   * once this resolves.
   * @throws {NotFoundError} no blob and no imported CAR holds the block.
   * @throws {UnsupportedHashError} a blob exists under a hash function that cannot be verified.
   * @throws {DigestMismatchError} a block of a CAR does not verify (a blob's bytes: from `body`).
   */
  async open(cid: CID, options: AbortOptions = {}): Promise<BlockRead> {
    const { signal } = options
    signal?.throwIfAborted()
    if (cid.multihash.code === IDENTITY) {
      const bytes = cid.multihash.digest
      return { size: bytes.byteLength, source: 'identity', body: once(bytes), bytes }
    }
    const io = signal ? { signal } : {}
    const found = this.#carsFirst
      ? ((await this.#fromCars(cid, io)) ?? (await this.#fromBlobs(cid, io)))
      : ((await this.#fromBlobs(cid, io)) ?? (await this.#fromCars(cid, io)))
    if (found !== undefined) return found
    throw new NotFoundError(`block ${cid} not found`)
  }

  /**
   * The block's size and where it is, without opening a blob's body (a HEAD answer). A block of a
   * CAR is read and verified (it is small); an identity CID needs no I/O.
   * @throws {NotFoundError} no blob and no imported CAR holds the block.
   * @throws {DigestMismatchError} a block of a CAR does not verify.
   */
  async stat(cid: CID, options: AbortOptions = {}): Promise<Omit<BlockRead, 'body' | 'bytes'>> {
    const { signal } = options
    signal?.throwIfAborted()
    if (cid.multihash.code === IDENTITY) return { size: cid.multihash.digest.byteLength, source: 'identity' }
    const io = signal ? { signal } : {}
    const fromBlobs = async () => {
      try {
        return { size: (await this.#blobs.stat(cid.multihash, io)).size, source: 'blob' as const }
      } catch (error) {
        if (isNamed(error, 'NotFoundError')) return undefined
        throw error
      }
    }
    const fromCars = async () => {
      const read = await this.#fromCars(cid, io)
      return read === undefined ? undefined : { size: read.size, source: 'car' as const }
    }
    const found = this.#carsFirst
      ? ((await fromCars()) ?? (await fromBlobs()))
      : ((await fromBlobs()) ?? (await fromCars()))
    if (found !== undefined) return found
    throw new NotFoundError(`block ${cid} not found`)
  }

  /**
   * A CARv1 of the DAG under `root` as the Trustless Gateway serves it (`order=dfs`, `dups=n`):
   * the scope's blocks depth first, each once, identity blocks left out, each verified as read.
   * Memory: the CIDs already sent (to send each once) and a block whose links are followed.
   * @throws {NotFoundError} the root is missing (at the first `next()`, before any byte); a block
   *   missing later errors the stream (the CAR is incomplete).
   * @throws {DigestMismatchError | BlockTooLargeError} a block does not verify, or one whose links
   *   must be read is over `maxBlockSize` (the stream errors).
   */
  exportCar(root: CID, options: ExportCarOptions = {}): AsyncGenerator<Uint8Array> {
    const source = {
      open: (cid: CID, io: AbortOptions) => this.open(cid, io),
      maxBlockSize: this.#maxBlockSize,
    }
    return exportDagCar(source, root, options)
  }

  /** The block as a blob of its own, or undefined. */
  async #fromBlobs(cid: CID, io: AbortOptions): Promise<BlockRead | undefined> {
    try {
      const { size, body } = await this.#blobs.get(cid.multihash, io)
      return { size, source: 'blob', body: releasing(verified(cid, body, this.#chunkSize), body) }
    } catch (error) {
      if (isNamed(error, 'NotFoundError')) return undefined
      throw error
    }
  }

  /** The block from an imported CAR (read and verified whole), or undefined. */
  async #fromCars(cid: CID, io: AbortOptions): Promise<BlockRead | undefined> {
    if (this.#cars === undefined) return undefined
    try {
      const bytes = plain(await this.#cars.getBlock(cid, io))
      return { size: bytes.byteLength, source: 'car', body: once(bytes), bytes }
    } catch (error) {
      if (isNamed(error, 'BlockNotFoundError')) return undefined
      throw error
    }
  }

  #writable(operation: string): void {
    if (this.#readOnly) throw new ReadOnlyError(operation)
  }
}

/**
 * `outer` whose `return()` also releases `inner` (a backend body holding a file handle or a socket),
 * even when `outer` never started: an async generator returned before its first `next()` skips its
 * own cleanup.
 */
function releasing(
  outer: AsyncGenerator<Uint8Array>,
  inner: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const close = outer.return.bind(outer)
  outer.return = async (value) => {
    try {
      return await close(value)
    } finally {
      const body = inner as Partial<AsyncIterator<Uint8Array>> & { destroy?: () => void }
      if (typeof body.return === 'function') await body.return()
      else body.destroy?.() // a Node stream
    }
  }
  return outer
}

function isNamed(error: unknown, name: string): boolean {
  return (error as { name?: unknown } | null)?.name === name
}
