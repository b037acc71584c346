import { Counter, collectDefaultMetrics, Registry } from 'prom-client'
import { RequestMetrics } from './request-metrics.js'

/** Upper bounds of the request-duration histogram, in seconds (1 ms … 5 min: large blobs stream long). */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

/** The route label of a request that matched no route (so unknown paths cannot grow the label set). */
export const UNMATCHED_ROUTE = 'unmatched'

/** One finished request, as the metrics see it. */
export interface RequestSample {
  method: string
  /** The matched route pattern (`/blob/:digest`), never the raw path; {@link UNMATCHED_ROUTE} else. */
  route: string
  status: number
  /** Request body bytes (its `Content-Length`; 0 when absent). */
  bytesIn: number
  /** Response body bytes actually handed to the connection. */
  bytesOut: number
  /** Wall time from the request's arrival to the end (or abort) of its response body, in seconds. */
  seconds: number
}

/** The server's Prometheus metrics, in a registry of their own (never prom-client's global one). */
export interface StrataMetrics {
  /** The registry holding every metric below. */
  registry: Registry
  /** `strata_http_requests_total{method,route,status}` and `strata_http_request_duration_seconds{method,route}`. */
  requests: RequestMetrics
  /** `strata_http_bytes_in_total`. */
  bytesIn: Counter
  /** `strata_http_bytes_out_total`. */
  bytesOut: Counter
  /** `strata_errors_total{name}`: errors answered by the error handler, by error name. */
  errors: Counter<'name'>
  /** Records one finished request. */
  observe(sample: RequestSample): void
  /** The Prometheus text exposition of the registry. */
  text(): Promise<string>
  /** The `Content-Type` of {@link StrataMetrics.text}. */
  contentType: string
}

/** Options for {@link createMetrics}. */
export interface CreateMetricsOptions {
  /** Also collect prom-client's default process metrics (`process_*`, `nodejs_*`). Default true. */
  defaultMetrics?: boolean
}

/**
 * Creates the server's metrics in a fresh prom-client `Registry` (so two apps in one process, as in
 * tests, never collide): request count, duration, bytes in and out, and errors by name.
 */
export function createMetrics(options: CreateMetricsOptions = {}): StrataMetrics {
  const registry = new Registry()
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  const requests = new RequestMetrics(DURATION_BUCKETS)
  requests.register(registry)
  const bytesIn = new Counter({
    name: 'strata_http_bytes_in_total',
    help: 'Request body bytes received (from Content-Length)',
    registers: [registry],
  })
  const bytesOut = new Counter({
    name: 'strata_http_bytes_out_total',
    help: 'Response body bytes sent',
    registers: [registry],
  })
  const errors = new Counter({
    name: 'strata_errors_total',
    help: 'Errors answered by the server, by error name',
    labelNames: ['name'] as const,
    registers: [registry],
  })
  return {
    registry,
    requests,
    bytesIn,
    bytesOut,
    errors,
    contentType: registry.contentType,
    observe(sample) {
      requests.observe(sample.method, sample.route, sample.status, sample.seconds)
      if (sample.bytesIn > 0) bytesIn.inc(sample.bytesIn)
      if (sample.bytesOut > 0) bytesOut.inc(sample.bytesOut)
    },
    text: () => registry.metrics(),
  }
}
