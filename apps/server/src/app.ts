import { Hono } from 'hono'
import type { Logger } from 'pino'
import type { StrataContainer } from './container/index.js'
import { blobReadRoutes } from './http/blob-routes.js'
import { errorHandler, routeNotFound } from './http/errors.js'
import { writeRoutes } from './http/write-routes.js'
import type { NodeIdentity } from './identity/index.js'
import { createMetrics, observeRequests, type StrataMetrics } from './observability/index.js'

/**
 * `http://host:port` of a listening address: IPv6 bracketed, wildcard addresses (`0.0.0.0`, `::`)
 * replaced by loopback so the URL is usable from the same machine.
 */
export function baseUrlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
}

/** Options for {@link createApp}. */
export interface CreateAppOptions {
  /** The DI container (started or not: `/readyz` tells). Its cradle's logger is used. */
  container: Pick<StrataContainer, 'cradle'>
  /** The public base URL of the server (presigned URLs, `Location` headers), without a trailing `/`. */
  publicUrl: string
  /** Extra sub-apps mounted at `/` after the built-in routes (the write path, tests). */
  routes?: readonly Hono[]
  /**
   * The node identity: its DID is shown by `/healthz` and it signs presigned URLs. Default: the
   * write routes load it from the keystore at their first request, and `/healthz` shows no DID.
   */
  identity?: NodeIdentity
  /** Mount the write routes (`writeRoutes`). Default true; false serves the read path only. */
  writes?: boolean
  /** The metrics to count into. Default: a fresh {@link createMetrics} (own registry). */
  metrics?: StrataMetrics
  /** The request log. Default: the cradle's logger, child `{ component: 'http' }`. */
  logger?: Logger
  /** Bound of each `/readyz` probe, in ms. Default 2000. */
  readinessTimeoutMs?: number
}

/** The strata HTTP app and the metrics it counts into. */
export interface StrataApp {
  app: Hono
  metrics: StrataMetrics
}

/**
 * Builds the server's hono app over a container:
 *
 * - one request-log line per request and the Prometheus counters (`observeRequests`);
 * - `GET /healthz` → 200 `{ ok: true, did? }` while the process runs;
 * - `GET /readyz` → 200 / 503 `{ ready, checks }` from the container's `readiness()` (never throws);
 * - `GET /metrics` → Prometheus text (own registry: `strata_http_*`, `strata_errors_total`, `process_*`);
 * - `GET`/`HEAD /blob/:digest` (`blobReadRoutes`), then the write routes (`writeRoutes`), then `routes`;
 * - every error as JSON from the one status table (`errorHandler`), unknown routes as 404 `RouteNotFound`.
 */
export function createApp(options: CreateAppOptions): StrataApp {
  const { container, publicUrl } = options
  const { cradle } = container
  const logger = options.logger ?? cradle.logger.child({ component: 'http' })
  const metrics = options.metrics ?? createMetrics()
  const app = new Hono()
  app.use('*', observeRequests({ logger, metrics }))
  app.onError(errorHandler({ logger }))
  app.notFound(routeNotFound)

  const did = options.identity?.did
  app.get('/healthz', (c) => c.json(did === undefined ? { ok: true } : { ok: true, did }))
  app.get('/readyz', async (c) => {
    const report = await cradle.readiness({
      signal: c.req.raw.signal,
      ...(options.readinessTimeoutMs === undefined ? {} : { timeoutMs: options.readinessTimeoutMs }),
    })
    c.header('Cache-Control', 'no-store')
    return c.json(report, report.ready ? 200 : 503)
  })
  app.get('/metrics', async (c) => {
    c.header('Content-Type', metrics.contentType)
    c.header('Cache-Control', 'no-store')
    return c.body(await metrics.text())
  })

  app.route('/', blobReadRoutes({ blobs: cradle.blobs, logger }))

  // The write path: POST /allocations, PUT /blob/:digest, POST /acceptances, DELETE /blob/:digest,
  // GET /claim/:cid, GET /receipts/:cid.
  if (options.writes !== false) {
    const identity = options.identity === undefined ? {} : { identity: options.identity }
    app.route('/', writeRoutes({ cradle, publicUrl, ...identity }))
  }
  for (const routes of options.routes ?? []) app.route('/', routes)
  return { app, metrics }
}
