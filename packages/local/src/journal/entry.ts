import { CAR, CBOR, Receipt as ReceiptView } from '@ucanto/core'
import type { Block, Receipt } from '@ucanto/interface'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { CAR_CODE, type CarBlock, carCid } from './format.js'

/** The archive variant that names a receipt's root, as ucanto and go-ucanto write it. */
export const RECEIPT_ARCHIVE_VARIANT = 'ucan/receipt@0.9.1'

/** What the journal needs of a receipt: a ucanto `Receipt` (e.g. from `Receipt.issue`) fits. */
export type JournalReceipt = Pick<Receipt, 'root' | 'iterateIPLDBlocks'>

/**
 * Encodes a receipt as one journal entry, the way Piri does: the entry's bytes are the receipt's
 * archive (a CARv1 whose single root is the variant block `{ 'ucan/receipt@0.9.1': <receipt root> }`,
 * holding every block of the receipt then the variant, as `Receipt.archive()` in go-ucanto and
 * newer ucanto), and its CID is CIDv1 codec car (0x0202) of the archive's sha2-256.
 * One receipt is one CAR section, so an append is all or nothing for a reader.
 */
export async function encodeEntry(receipt: JournalReceipt): Promise<CarBlock> {
  const blocks = new Map<string, Block>()
  for (const block of receipt.iterateIPLDBlocks()) blocks.set(block.cid.toString(), block)
  const variant = await CBOR.write({ [RECEIPT_ARCHIVE_VARIANT]: receipt.root.cid })
  blocks.set(variant.cid.toString(), variant)
  const bytes: Uint8Array = CAR.encode({ roots: [variant], blocks })
  return { cid: carCid((await sha256.digest(bytes)).digest), bytes }
}

/**
 * Reads back the receipt of a journal entry (a block of a batch CAR, or its bytes).
 * @throws {Error} the bytes are not a receipt archive (no root, another variant, missing blocks).
 */
export function decodeEntry(entry: CarBlock | Uint8Array): Receipt {
  const bytes = entry instanceof Uint8Array ? entry : entry.bytes
  if (!(entry instanceof Uint8Array) && entry.cid.code !== CAR_CODE) {
    throw new Error(`journal entry ${entry.cid} is not a CAR (codec 0x${entry.cid.code.toString(16)})`)
  }
  const { roots, blocks } = CAR.decode(bytes)
  const [root] = roots
  if (root === undefined) throw new Error('receipt archive has no root block')
  const variant: unknown = CBOR.decode(root.bytes)
  const field: unknown =
    typeof variant === 'object' && variant !== null
      ? Reflect.get(variant, RECEIPT_ARCHIVE_VARIANT)
      : undefined
  const cid = CID.asCID(field)
  if (cid?.version !== 1) throw new Error(`receipt archive root is not a ${RECEIPT_ARCHIVE_VARIANT} variant`)
  const link = cid.toV1() // the same CID, typed as v1
  // ucanto's view types `issuer` as optional where the interface does not; the object is the same.
  return ReceiptView.view({ root: link, blocks }) as Receipt
}
