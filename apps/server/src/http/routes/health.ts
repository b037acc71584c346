import type { Cradle } from '../../container/index.js'
import type { StrataMetrics } from '../../observability/index.js'
import { createRoute, createRouter, z } from '../openapi.js'

const HealthSchema = z.object({ ok: z.literal(true), did: z.string().optional() }).openapi('Health')

const ProbeSchema = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() })
const ReadinessSchema = z
  .object({ ready: z.boolean(), checks: z.record(z.string(), ProbeSchema) })
  .openapi('Readiness')

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness: 200 while the process runs, with the node DID',
  responses: { 200: { description: 'Alive', content: { 'application/json': { schema: HealthSchema } } } },
})

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: every store answers within the bound',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: ReadinessSchema } } },
    503: {
      description: 'Not ready (names the failing checks)',
      content: { 'application/json': { schema: ReadinessSchema } },
    },
  },
})

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics (text exposition)',
  responses: { 200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } } },
})

/** Options for {@link healthRoutes}. */
export interface HealthRoutesOptions {
  cradle: Pick<Cradle, 'readiness'>
  /** The node's DID, shown by `/healthz` once known (the identity is loaded when the container starts). */
  did: () => string | undefined
  metrics: StrataMetrics
  /** Bound of each `/readyz` probe, in ms. Default 2000. */
  readinessTimeoutMs?: number
  /** Serve `GET /metrics` here (false: it has a listener of its own). Default true. */
  serveMetrics?: boolean
}

/**
 * Operations: `GET /healthz` → 200 `{ ok: true, did? }`; `GET /readyz` → 200 / 503
 * `{ ready, checks }` (never throws); `GET /metrics` → Prometheus text.
 */
export function healthRoutes(options: HealthRoutesOptions) {
  const { cradle, did, metrics } = options
  const router = createRouter()
    .openapi(healthz, (c) => {
      const known = did()
      return c.json(known === undefined ? { ok: true as const } : { ok: true as const, did: known }, 200)
    })
    .openapi(readyz, async (c) => {
      const report = await cradle.readiness({
        signal: c.req.raw.signal,
        ...(options.readinessTimeoutMs === undefined ? {} : { timeoutMs: options.readinessTimeoutMs }),
      })
      c.header('Cache-Control', 'no-store')
      return c.json(report, report.ready ? 200 : 503)
    })
  if (options.serveMetrics === false) return router
  return router.openapi(metricsRoute, async (c) => {
    const headers = { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }
    return c.text(await metrics.text(), 200, headers)
  })
}
