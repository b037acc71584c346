import { CAR, Receipt as UcantoReceipt } from '@ucanto/core'
import type { Block, Receipt, UnknownLink } from '@ucanto/interface'
import { CID } from 'multiformats/cid'
import { asLink } from '../internal/fields.js'

/**
 * What the receipt store needs of a receipt: any ucanto receipt fits, whatever its result types
 * (`Receipt<Ok, Error>` for specific `Ok`/`Error` is not assignable to the bare `Receipt`).
 */
export interface ReceiptLike {
  /** The receipt's own CID. */
  link(): UnknownLink
  /** The invocation it is the receipt of, or that invocation's link. */
  readonly ran: { link(): UnknownLink }
  /** The receipt block. */
  readonly root: Block
  /** Every block of the receipt's DAG, the root included. */
  iterateIPLDBlocks(): IterableIterator<Block>
}

/**
 * A receipt as a CAR of its blocks (the receipt block as the single root, then the ran invocation
 * and every other block it carries), as Piri writes them.
 * @throws {Error} from ucanto when a block cannot be written.
 */
export function encodeReceipt(receipt: ReceiptLike): Uint8Array {
  const blocks = new Map<string, Block>()
  for (const block of receipt.iterateIPLDBlocks()) blocks.set(block.cid.toString(), block)
  return CAR.encode({ roots: [receipt.root], blocks })
}

/**
 * The receipt in a CAR written by {@link encodeReceipt} (or by Piri). ucanto decodes lazily; the
 * outcome, ran invocation and issuer are read here so a malformed receipt fails now.
 * @throws {Error} when the bytes are not a CAR with one root block, or the root is not a receipt.
 */
export function decodeReceipt(bytes: Uint8Array): Receipt {
  const { roots, blocks } = CAR.decode(bytes)
  const [root] = roots
  if (root === undefined || roots.length !== 1) throw new TypeError('expected a CAR with one root block')
  type ReceiptLink = Parameters<typeof UcantoReceipt.view>[0]['root']
  // The view class types `issuer` as optional where the `Receipt` interface does not.
  const receipt = UcantoReceipt.view({ root: root.cid as ReceiptLink, blocks }) as Receipt
  void receipt.out
  void receipt.ran
  void receipt.issuer
  return receipt
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A ran index value: the receipt's CID in binary form, as Piri's datastore index writes it. */
export function encodeRanIndexValue(receipt: UnknownLink): Uint8Array {
  return asLink(receipt, 'receipt link').bytes
}

/**
 * The receipt CID in a ran index value: binary (Piri's datastore index, and ours), or text (Piri's
 * S3 index, `<ran>.ref` objects).
 * @throws {Error} when the bytes are neither.
 */
export function decodeRanIndexValue(bytes: Uint8Array): CID {
  try {
    return CID.decode(bytes)
  } catch (binaryError) {
    try {
      return CID.parse(utf8.decode(bytes).trim())
    } catch {
      throw binaryError
    }
  }
}
