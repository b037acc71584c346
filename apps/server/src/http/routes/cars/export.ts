import { BlockNotFoundError, type CarStore } from '@strata/car'
import { createRoute, createRouter, errorContent, z } from '../../openapi.js'
import { parseCid } from '../../protocol/cid.js'
import { toReadableStream } from '../../protocol/stream.js'
import { BLOB_CACHE_CONTROL } from '../blobs/answer.js'

/** `Content-Type` of an exported CAR. */
export const CAR_EXPORT_CONTENT_TYPE = 'application/vnd.ipld.car; version=1'

/** Options for {@link carExportRoutes}. */
export interface CarExportRoutesOptions {
  cars: CarStore
  /** Where an export that fails after its status was sent is logged. Default: not logged. */
  logger?: { error(details: object, message: string): void }
}

const RootParam = z.object({
  root: z.string().openapi({ param: { name: 'root', in: 'path' }, example: 'bafyreib…' }),
})

const ScopeQuery = z.object({
  scope: z
    .enum(['all', 'block'], { error: "expected 'all' or 'block'" })
    .optional()
    .openapi({ description: '`all` (default): the DAG under the root; `block`: the root block alone' }),
})

const exportCar = createRoute({
  method: 'get',
  path: '/car/{root}',
  summary: 'Export the DAG under a root as a CARv1 (a stored CAR as stored, else a verified walk)',
  description:
    'Streamed. A block missing mid-walk cuts the response short (the connection is closed before ' +
    'the end of the chunked body), so a client can tell. HEAD answers whether the root block is readable.',
  request: { params: RootParam, query: ScopeQuery },
  responses: {
    200: {
      description: 'The CAR',
      content: { [CAR_EXPORT_CONTENT_TYPE]: { schema: z.string().openapi({ format: 'binary' }) } },
    },
    400: errorContent('Not a CID, or a bad scope'),
    404: errorContent('The root block is not stored (BlockNotFoundError)'),
  },
})

/** The headers of an export: content-addressed by its root, so cached as immutable. */
function exportHeaders(): Record<string, string> {
  return {
    'Content-Type': CAR_EXPORT_CONTENT_TYPE,
    'Cache-Control': BLOB_CACHE_CONTROL,
    'X-Content-Type-Options': 'nosniff',
  }
}

/**
 * `GET` / `HEAD /car/:root?scope=all|block`, public: `CarStore.exportCar` streamed with the
 * socket's backpressure. The first chunk is read before the status is sent, so a missing root is a
 * `404 BlockNotFoundError`; a failure after that cuts the body short. This module imports no write code.
 */
export function carExportRoutes(options: CarExportRoutesOptions) {
  const { cars, logger } = options
  return createRouter().openapi(exportCar, async (c) => {
    const root = parseCid(c.req.param('root'))
    const scope = c.req.valid('query').scope ?? 'all'
    const signal = c.req.raw.signal
    if (c.req.method === 'HEAD') {
      if (!(await cars.hasBlock(root, { signal }))) throw new BlockNotFoundError(root)
      return c.body(null, 200, exportHeaders())
    }
    const chunks = cars.exportCar(root, { scope, signal })
    const first = await chunks.next() // a missing root throws here, before the status
    const onError = (error: unknown) =>
      logger?.error({ err: error, path: c.req.path }, 'CAR export failed mid-response')
    const body = toReadableStream(prepend(first, chunks), onError)
    return new Response(body, { status: 200, headers: exportHeaders() })
  })
}

/** `rest`, with its already-read first result in front. */
async function* prepend(
  first: IteratorResult<Uint8Array>,
  rest: AsyncGenerator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  try {
    if (first.done) return
    yield first.value
    yield* rest
  } finally {
    await rest.return(undefined) // the consumer stopped before `rest` was reached: release it
  }
}
