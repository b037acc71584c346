/**
 * `@strata/local/journal`: the retrieval journal, receipts batched into CAR files on local disk.
 *
 * ```js
 * import { RetrievalJournal } from '@strata/local/journal'
 * const journal = new RetrievalJournal({ path: './data/journal' })
 * await journal.open()
 * ```
 * @packageDocumentation
 */
export { JournalCorruptError, NotFoundError } from '../errors.js'
export { decodeEntry, encodeEntry, type JournalReceipt, RECEIPT_ARCHIVE_VARIANT } from './entry.js'
export {
  batchFileName,
  CAR_CODE,
  CAR_HEADER,
  type CarBlock,
  carCid,
  isBatchCid,
  parseBatchFileName,
  WIP_FILE,
} from './format.js'
export { RetrievalJournal } from './journal.js'
export {
  type AppendResult,
  type BatchResult,
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_ROTATE_INTERVAL,
  type JournalStatus,
  MAX_ROTATE_INTERVAL,
  type RetrievalJournalOptions,
  type RotateCause,
} from './options.js'
