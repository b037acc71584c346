import { decodeEntry, type RetrievalJournal } from '@strata/local/journal'
import { Hono, type MiddlewareHandler } from 'hono'
import { limitBody } from './body-limit.js'
import { type ErrorLogger, errorHandler, HttpError } from './errors.js'

/** The largest receipt archive `POST /receipts` accepts: 1 MiB (a retrieval receipt is a few KiB). */
export const MAX_RECEIPT_ARCHIVE_BYTES = 1024 * 1024

/** Options for {@link journalRoutes}. */
export interface JournalRoutesOptions {
  journal: RetrievalJournal
  /** Guards the append (the bearer middleware). */
  auth: MiddlewareHandler
  /** Where 5xx errors are logged. Default: not logged. */
  logger?: ErrorLogger
}

/**
 * `POST /receipts` (bearer): appends a retrieval receipt to the retrieval journal, the egress
 * record Piri keeps for each served retrieval. The body is the receipt's archive, as ucanto's
 * `receipt.archive()` writes it (a CAR whose root is `{ 'ucan/receipt@0.9.1': <receipt> }`).
 * Answers 201 `{ entry, receipt, batch? }` once the entry is written: `entry` is the journal
 * entry's CID, `batch` the CID of the batch this append completed (when it rotated). Later served
 * by `GET /receipts/:batch` once its batch rotates.
 *
 * 400 `BadRequest` when the body is not a receipt archive, 413 `TooLargeError` over
 * {@link MAX_RECEIPT_ARCHIVE_BYTES}, 507 when the disk is full (nothing appended).
 */
export function journalRoutes(options: JournalRoutesOptions): Hono {
  const { journal, auth, logger } = options
  const app = new Hono()
  app.onError(errorHandler(logger === undefined ? {} : { logger }))
  const limit = limitBody(MAX_RECEIPT_ARCHIVE_BYTES, 'receipt archive')

  app.post('/receipts', auth, limit, async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer())
    let receipt: ReturnType<typeof decodeEntry>
    try {
      receipt = decodeEntry(bytes)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new HttpError(400, 'BadRequest', `body: not a receipt archive (${reason})`, {
        cause: error,
      })
    }
    const { entry, batch } = await journal.append(receipt, { signal: c.req.raw.signal })
    const answer = { entry: entry.toString(), receipt: receipt.root.cid.toString() }
    return c.json(batch === undefined ? answer : { ...answer, batch: batch.toString() }, 201)
  })
  return app
}
