/**
 * `@strata/stores/receipt`: UCAN receipts, each stored as a CAR of its blocks under its CID, plus
 * the ran index (`ran invocation CID → receipt CID`) that answers `getByRan`.
 *
 * ```js
 * import { ReceiptStore } from '@strata/stores/receipt'
 * const receipts = new ReceiptStore({ backend }) // any opened ObjectStore
 * await receipts.put(receipt); const same = await receipts.getByRan(invocation.cid)
 * ```
 */

import { DecodeError, EncodeError, GenericStore } from '@strata/genericstore'
import type { IOOptions, ObjectStore } from '@strata/objectstore'
import type { Receipt, UnknownLink } from '@ucanto/interface'
import { bytesCodec } from '../internal/bytes-codec.js'
import { formatLink } from '../internal/fields.js'
import {
  decodeRanIndexValue,
  decodeReceipt,
  encodeRanIndexValue,
  encodeReceipt,
  type ReceiptLike,
} from './codec.js'

export { DecodeError, EncodeError } from '@strata/genericstore'
export type { IOOptions } from '@strata/objectstore'
export { NotFoundError } from '@strata/objectstore'
export {
  decodeRanIndexValue,
  decodeReceipt,
  encodeRanIndexValue,
  encodeReceipt,
  type ReceiptLike,
} from './codec.js'

const RECEIPT_CODEC = 'car/receipt'
const INDEX_CODEC = 'cid'

/**
 * Options for {@link ReceiptStore}. Receipts and the ran index share one backend under two
 * namespaces; the defaults reproduce Piri's datastore layout (`/receipts/<cid>` and
 * `/ranLinkIndex/<ran cid>` in one LevelDB), and strata's S3 wiring keeps them (one bucket, two
 * prefixes). Piri's own S3 layout is {@link PIRI_S3_RECEIPT_LAYOUT}.
 */
export interface ReceiptStoreOptions {
  /** Where receipts and the index live; opened and closed by the caller. */
  backend: ObjectStore
  /**
   * Namespace of the receipts (non-empty, no `/`), or `null` for none: receipts at the backend's
   * root, as Piri's S3 store keeps them. Default `'receipts'`.
   */
  namespace?: string | null
  /** Namespace of the ran index (non-empty, no `/`, not `namespace`). Default `'ranLinkIndex'`. */
  ranIndexNamespace?: string
  /** Appended to every ran index key. Default `''`. */
  ranIndexKeySuffix?: string
  /**
   * How the ran index holds the receipt's CID: `'binary'` (its bytes, Piri's datastore index) or
   * `'text'` (its string, Piri's S3 index). Both are read whatever this says. Default `'binary'`.
   */
  ranIndexValue?: 'binary' | 'text'
}

/**
 * Piri's S3 receipt layout (`pkg/store/receiptstore/store.go`, `NewS3Store`, v0.2.4): receipts at
 * the bucket's root under their CID, the ran index at `receipts-ran/<ran cid>.ref` holding the
 * receipt CID as text. Spread it into {@link ReceiptStoreOptions}.
 */
export const PIRI_S3_RECEIPT_LAYOUT = Object.freeze({
  namespace: null,
  ranIndexNamespace: 'receipts-ran',
  ranIndexKeySuffix: '.ref',
  ranIndexValue: 'text',
} as const satisfies Omit<ReceiptStoreOptions, 'backend'>)

/** The receipt store contract, implemented by {@link ReceiptStore}. */
export interface Receipts {
  /**
   * Adds or replaces a receipt under its CID, then indexes it by the CID of the invocation it ran
   * (written in that order, so the index never points at a receipt that was not stored).
   * @throws {EncodeError} when the receipt cannot be encoded.
   */
  put(receipt: ReceiptLike, options?: IOOptions): Promise<void>
  /**
   * The receipt with this CID.
   * @throws {NotFoundError} none is stored.
   * @throws {DecodeError} the stored bytes are not a receipt CAR, or hold another receipt.
   */
  get(cid: UnknownLink, options?: IOOptions): Promise<Receipt>
  /**
   * The receipt of the invocation with CID `ran`.
   * @throws {NotFoundError} no receipt is indexed for `ran` (its `key` is the index key), or the
   * indexed receipt is missing.
   * @throws {DecodeError} the index entry or the receipt cannot be decoded.
   */
  getByRan(ran: UnknownLink, options?: IOOptions): Promise<Receipt>
  /** Whether a receipt with this CID is stored. */
  has(cid: UnknownLink, options?: IOOptions): Promise<boolean>
}

/** UCAN receipts and their ran index over any object store (memory, LevelDB, S3). */
export class ReceiptStore implements Receipts {
  readonly #receipts: GenericStore<Uint8Array>
  readonly #ranIndex: GenericStore<Uint8Array>
  readonly #ranSuffix: string
  readonly #ranValue: 'binary' | 'text'

  /**
   * No I/O: the backend is opened and closed by the caller.
   * @throws {InvalidNamespaceError} a namespace is empty or contains `/`.
   * @throws {RangeError} both namespaces are the same.
   */
  constructor(options: ReceiptStoreOptions) {
    const namespace = options.namespace === undefined ? 'receipts' : options.namespace
    const ranIndexNamespace = options.ranIndexNamespace ?? 'ranLinkIndex'
    if (namespace === ranIndexNamespace) {
      throw new RangeError(`receipts and the ran index need distinct namespaces, both are "${namespace}"`)
    }
    const { backend } = options
    this.#receipts = new GenericStore({
      backend,
      codec: bytesCodec,
      ...(namespace === null ? {} : { namespace }),
    })
    this.#ranIndex = new GenericStore({ backend, codec: bytesCodec, namespace: ranIndexNamespace })
    this.#ranSuffix = options.ranIndexKeySuffix ?? ''
    this.#ranValue = options.ranIndexValue ?? 'binary'
  }

  async put(receipt: ReceiptLike, options?: IOOptions): Promise<void> {
    let key = '(receipt)'
    let bytes: Uint8Array
    let ranKey: string
    try {
      key = formatLink(receipt.link())
      bytes = encodeReceipt(receipt)
      ranKey = this.#ranKey(receipt.ran.link())
    } catch (cause) {
      throw new EncodeError(key, RECEIPT_CODEC, { cause })
    }
    await this.#receipts.put(key, bytes, options)
    const value =
      this.#ranValue === 'text'
        ? new TextEncoder().encode(formatLink(receipt.link()))
        : encodeRanIndexValue(receipt.link())
    await this.#ranIndex.put(ranKey, value, options)
  }

  async get(cid: UnknownLink, options?: IOOptions): Promise<Receipt> {
    const key = formatLink(cid)
    const bytes = await this.#receipts.get(key, options)
    let receipt: Receipt
    try {
      receipt = decodeReceipt(bytes)
    } catch (cause) {
      throw new DecodeError(key, RECEIPT_CODEC, { cause })
    }
    if (receipt.link().toString() !== key) {
      const cause = new Error(`the CAR holds receipt ${receipt.link()}, not ${key}`)
      throw new DecodeError(key, RECEIPT_CODEC, { cause })
    }
    return receipt
  }

  async getByRan(ran: UnknownLink, options?: IOOptions): Promise<Receipt> {
    const key = this.#ranKey(ran)
    const bytes = await this.#ranIndex.get(key, options)
    let root: UnknownLink
    try {
      root = decodeRanIndexValue(bytes)
    } catch (cause) {
      throw new DecodeError(key, INDEX_CODEC, { cause })
    }
    return this.get(root, options)
  }

  async has(cid: UnknownLink, options?: IOOptions): Promise<boolean> {
    return this.#receipts.has(formatLink(cid), options)
  }

  #ranKey(ran: UnknownLink): string {
    return formatLink(ran) + this.#ranSuffix
  }
}
