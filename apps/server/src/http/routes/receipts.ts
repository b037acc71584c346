import { decodeEntry, type RetrievalJournal } from '@strata/local/journal'
import { HttpError } from '../../errors.js'
import { bearerAuth } from '../middleware/bearer.js'
import { limitBody } from '../middleware/body-limit.js'
import { createRoute, createRouter, errorContent, z } from '../openapi.js'
import { notFoundAs, parseCid } from '../protocol/cid.js'
import { toReadableStream } from '../protocol/stream.js'
import { CAR_CONTENT_TYPE, carHeaders } from './car-answer.js'
import { CidParam } from './claims.js'

/** The largest receipt archive `POST /receipts` accepts: 1 MiB (a retrieval receipt is a few KiB). */
export const MAX_RECEIPT_ARCHIVE_BYTES = 1024 * 1024

const binary = { schema: z.string().openapi({ format: 'binary' }) }

const getBatch = createRoute({
  method: 'get',
  path: '/receipts/{cid}',
  summary: 'A rotated retrieval-journal batch (a CARv1 of receipts), streamed from disk',
  request: { params: CidParam },
  responses: {
    200: { description: 'The batch', content: { [CAR_CONTENT_TYPE]: binary } },
    400: errorContent('Not a CID'),
    404: errorContent('No such batch'),
  },
})

const AppendedSchema = z
  .object({ entry: z.string(), receipt: z.string(), batch: z.string().optional() })
  .openapi('JournalAppend')

const append = createRoute({
  method: 'post',
  path: '/receipts',
  summary: 'Append a retrieval receipt (its ucanto archive) to the journal',
  security: [{ bearer: [] }],
  request: {
    body: { required: true, content: { [CAR_CONTENT_TYPE]: binary, 'application/octet-stream': binary } },
  },
  responses: {
    201: { description: 'Appended', content: { 'application/json': { schema: AppendedSchema } } },
    400: errorContent('Not a receipt archive'),
    401: errorContent('Missing or wrong bearer token'),
    413: errorContent('Over 1 MiB'),
    507: errorContent('The disk is full; nothing appended'),
  },
})

/** Options for {@link receiptRoutes}. */
export interface ReceiptRoutesOptions {
  journal: RetrievalJournal
  /** The bearer token of the append, read at each request. */
  authToken: () => string
  /** Where a batch that fails mid-response is logged. Default: not logged. */
  logger?: { error(details: object, message: string): void }
}

/**
 * The retrieval journal:
 * - `GET` / `HEAD /receipts/:cid` (public): a rotated batch, streamed from disk;
 * - `POST /receipts` (bearer): appends a receipt archive (as ucanto's `receipt.archive()` writes it);
 *   201 `{ entry, receipt, batch? }` once written (`batch`: the batch this append completed).
 */
export function receiptRoutes(options: ReceiptRoutesOptions) {
  const { journal, logger } = options
  const auth = bearerAuth(options.authToken)
  const limit = limitBody(MAX_RECEIPT_ARCHIVE_BYTES, 'receipt archive')
  return createRouter()
    .openapi(getBatch, async (c) => {
      const cid = parseCid(c.req.param('cid'))
      const { size, body } = await notFoundAs(`receipt batch ${cid} not found`, () =>
        journal.getBatch(cid, { signal: c.req.raw.signal }),
      )
      if (c.req.method === 'HEAD') {
        await body[Symbol.asyncIterator]().return?.()
        return c.body(null, 200, carHeaders(size))
      }
      const onError = (error: unknown) =>
        logger?.error({ err: error, path: c.req.path }, 'receipt batch failed mid-response')
      return new Response(toReadableStream(body, onError), { status: 200, headers: carHeaders(size) })
    })
    .openapi({ ...append, middleware: [auth, limit] as const }, async (c) => {
      const bytes = new Uint8Array(await c.req.arrayBuffer())
      let receipt: ReturnType<typeof decodeEntry>
      try {
        receipt = decodeEntry(bytes)
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error)
        throw new HttpError(400, 'BadRequest', `body: not a receipt archive (${reason})`, { cause: error })
      }
      const { entry, batch } = await journal.append(receipt, { signal: c.req.raw.signal })
      const answer = { entry: entry.toString(), receipt: receipt.root.cid.toString() }
      return c.json(batch === undefined ? answer : { ...answer, batch: batch.toString() }, 201)
    })
}
