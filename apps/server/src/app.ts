import type { IncomingMessage, ServerResponse } from 'node:http'
import type { OpenAPIHono } from '@hono/zod-openapi'
import { StrataBlockstore } from '@strata/blockstore'
import { DEFAULT_MAX_BLOCK_SIZE } from '@strata/car'
import type { Logger } from 'pino'
import type { StrataContainer } from './container/index.js'
import { errorHandler, routeNotFound } from './http/error-response.js'
import { cors } from './http/middleware/cors.js'
import { createRouter, serveOpenApi } from './http/openapi.js'
import { ResponseSends } from './http/protocol/response-sends.js'
import { acceptanceRoutes } from './http/routes/acceptances.js'
import { allocationRoutes } from './http/routes/allocations.js'
import { blobReadRoutes, blobSocketReads, blobWriteRoutes } from './http/routes/blobs/index.js'
import { blockReadRoutes, blockSocketReads } from './http/routes/blocks/index.js'
import { carExportRoutes, carImportRoutes } from './http/routes/cars/index.js'
import { claimRoutes } from './http/routes/claims.js'
import type { RouteContext } from './http/routes/context.js'
import { gcRoutes } from './http/routes/gc.js'
import { healthRoutes } from './http/routes/health.js'
import { ipfsRoutes, ipfsSocketReads } from './http/routes/ipfs/index.js'
import { labelRoutes } from './http/routes/labels.js'
import { ownerRoutes } from './http/routes/owners.js'
import { receiptRoutes } from './http/routes/receipts.js'
import { repoRoutes } from './http/routes/repos.js'
import { firstOf } from './http/socket-answer.js'
import { createMetrics, observeRequests, requestRecorder, type StrataMetrics } from './observability/index.js'

/** Options for {@link createApp}. */
export interface CreateAppOptions {
  /** The started DI container: its cradle holds the stores, identity, signer and logger. */
  container: Pick<StrataContainer, 'cradle'>
  /** The public base URL of the server (presigned URLs, `Location` headers), without a trailing `/`. */
  publicUrl: string
  /** The metrics to count into. Default: a fresh {@link createMetrics} (own registry). */
  metrics?: StrataMetrics
  /** Serve `GET /metrics` (false when it has a listener of its own, `server.metricsPort`). Default true. */
  serveMetrics?: boolean
  /** The request log. Default: the cradle's logger, child `{ component: 'http' }`. */
  logger?: Logger
  /** Bound of each `/readyz` probe, in ms. Default 2000. */
  readinessTimeoutMs?: number
  /** The clock, in milliseconds (tests move it). Default `Date.now`. */
  now?: () => number
}

/** The strata HTTP app and the metrics it counts into. */
export interface StrataApp {
  app: OpenAPIHono
  metrics: StrataMetrics
  /**
   * Answers the requests it can on node:http's response directly (blob and block reads), returning true;
   * false sends the request to `app`. `startServer` calls it first for every request.
   */
  fastPath: (req: IncomingMessage, res: ServerResponse) => boolean
}

/**
 * Builds the server's hono app over a started container: the request log and metrics first, then
 * one router per resource (health, blobs, allocations, acceptances, claims, receipts, cars, blocks,
 * ipfs, labels, owners, repos, gc), one
 * `onError` answering every error from the one status table, unknown routes as 404 `RouteNotFound`.
 */
export function createApp(options: CreateAppOptions): StrataApp {
  const { cradle } = options.container
  const logger = options.logger ?? cradle.logger.child({ component: 'http' })
  const metrics = options.metrics ?? createMetrics()
  const context: RouteContext = {
    cradle,
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    now: options.now ?? Date.now,
  }
  const app = createRouter()
  app.use('*', observeRequests({ logger, metrics }))
  app.use('*', cors({ writeOrigins: cradle.config.server.cors.writeOrigins }))
  app.onError(errorHandler({ logger }))
  app.notFound(routeNotFound)
  const readiness =
    options.readinessTimeoutMs === undefined ? {} : { readinessTimeoutMs: options.readinessTimeoutMs }
  const did = () => {
    try {
      return cradle.identity.did
    } catch {
      return undefined // not started yet
    }
  }
  app.route(
    '/',
    healthRoutes({ cradle, did, metrics, serveMetrics: options.serveMetrics ?? true, ...readiness }),
  )
  app.route('/', blobReadRoutes({ blobs: cradle.blobs, logger, maxRanges: cradle.config.server.maxRanges }))
  app.route('/', blobWriteRoutes(context))
  app.route('/', allocationRoutes(context))
  app.route('/', acceptanceRoutes(context))
  app.route('/', claimRoutes({ claims: cradle.claims }))
  app.route('/', receiptRoutes({ journal: cradle.journal, authToken: () => cradle.authToken, logger }))
  app.route('/', carExportRoutes({ cars: cradle.cars, logger }))
  app.route(
    '/',
    carImportRoutes({
      cars: cradle.cars,
      owners: cradle.owners,
      authToken: () => cradle.authToken,
      maxSize: cradle.config.server.maxBlobSize,
      publicUrl: context.publicUrl,
    }),
  )
  app.route('/', blockReadRoutes({ cars: cradle.cars }))
  // The gateway's blocks: read only; a block up to the CAR limit is read (and verified) whole
  // before its answer starts, so a corrupt block is a 500, never a broken 200.
  const blocks = new StrataBlockstore({
    blobs: cradle.blobs,
    cars: cradle.cars,
    readOnly: true,
    chunkSize: DEFAULT_MAX_BLOCK_SIZE,
    prefer: 'cars',
  })
  app.route('/', ipfsRoutes({ blocks, logger }))
  app.route('/', labelRoutes(context))
  app.route('/', ownerRoutes(context))
  app.route('/', repoRoutes(context))
  app.route('/', gcRoutes(context))
  serveOpenApi(app)
  const { server } = cradle.config
  const record = requestRecorder({ logger, metrics })
  // one budget and one watch for every response written on a socket
  const sends = new ResponseSends({
    maxBufferBytes: server.maxResponseBufferBytes,
    sendTimeoutMs: server.sendTimeoutMs,
    pressuredSendTimeoutMs: server.pressuredSendTimeoutMs,
  })
  const fastPath = firstOf(
    blobSocketReads({ blobs: cradle.blobs, record, logger, sends, maxRanges: server.maxRanges }),
    blockSocketReads({ cars: cradle.cars, record, logger, sends }),
    ipfsSocketReads({ blocks, record, logger, sends }),
  )
  return { app, metrics, fastPath }
}
