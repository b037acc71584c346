import type { RetrievalJournal } from '@strata/local/journal'
import type { Delegations } from '@strata/stores/delegation'
import { Hono } from 'hono'
import { CID } from 'multiformats/cid'
import { BLOB_CACHE_CONTROL } from './blob-routes.js'
import { type ErrorLogger, errorHandler, HttpError } from './errors.js'
import { toReadableStream } from './stream.js'

/** `Content-Type` of CAR answers. */
export const CAR_CONTENT_TYPE = 'application/vnd.ipld.car'

/** Options for {@link carRoutes}. */
export interface CarRoutesOptions {
  claims: Delegations
  journal: RetrievalJournal
  /** Where 5xx errors and mid-body failures are logged. Default: not logged. */
  logger?: ErrorLogger
}

/**
 * The public CAR downloads, content-addressed hence immutable:
 * - `GET /claim/:cid`: the delegation's CAR archive (`claims.getArchive`);
 * - `GET /receipts/:cid`: a retrieval journal batch (`journal.getBatch`), streamed from disk.
 *
 * 400 `BadRequest` for a path segment that is not a CID, 404 `NotFoundError` when nothing is stored.
 */
export function carRoutes(options: CarRoutesOptions): Hono {
  const { claims, journal, logger } = options
  const app = new Hono()
  app.onError(errorHandler(logger === undefined ? {} : { logger }))
  const headers = (size: number) => ({
    'Content-Type': CAR_CONTENT_TYPE,
    'Content-Length': String(size),
    'Cache-Control': BLOB_CACHE_CONTROL,
    'X-Content-Type-Options': 'nosniff',
  })

  app.get('/claim/:cid', async (c) => {
    const cid = parseCid(c.req.param('cid'))
    const bytes = await notFoundAs(`claim ${cid} not found`, () =>
      claims.getArchive(cid, { signal: c.req.raw.signal }),
    )
    const body = c.req.method === 'HEAD' ? null : new Uint8Array(bytes)
    return new Response(body, { status: 200, headers: headers(bytes.length) })
  })

  app.get('/receipts/:cid', async (c) => {
    const cid = parseCid(c.req.param('cid'))
    const { size, body } = await notFoundAs(`receipt batch ${cid} not found`, () =>
      journal.getBatch(cid, { signal: c.req.raw.signal }),
    )
    if (c.req.method === 'HEAD') {
      await body[Symbol.asyncIterator]().return?.()
      return c.body(null, 200, headers(size))
    }
    const onError = (error: unknown) =>
      logger?.error({ err: error, path: c.req.path }, 'receipt batch failed mid-response')
    return new Response(toReadableStream(body, onError), { status: 200, headers: headers(size) })
  })
  return app
}

/** @throws {HttpError} `400 BadRequest` when `text` is not a CID. */
function parseCid(text: string): CID {
  try {
    return CID.parse(text)
  } catch (error) {
    throw new HttpError(400, 'BadRequest', `not a CID: ${JSON.stringify(text.slice(0, 80))}`, {
      cause: error,
    })
  }
}

async function notFoundAs<T>(message: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name !== 'NotFoundError') throw error
    throw new HttpError(404, 'NotFoundError', message, { cause: error })
  }
}
