/**
 * Observability of the strata server: Prometheus metrics in their own registry and a one-line-per-
 * request log, both fed by one hono middleware.
 * @packageDocumentation
 */
export {
  type CreateMetricsOptions,
  createMetrics,
  DURATION_BUCKETS,
  type RequestSample,
  type StrataMetrics,
  UNMATCHED_ROUTE,
} from './metrics.js'
export {
  errorMetricName,
  type ObserveRequestsOptions,
  observeRequests,
  type RequestLogger,
  type RequestLogLine,
  type RequestOutcome,
  type RequestRecorder,
  requestRecorder,
} from './request-middleware.js'
