/**
 * The per-request metrics, counted in plain numbers on the request path and handed to prom-client
 * only when scraped: prom-client's labelled counters and histograms hash their labels on every
 * `inc`/`observe`, which showed in the profile of the ranged-read hot path.
 * @packageDocumentation
 */
import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client'

interface Series {
  method: string
  route: string
  /** Requests by status. */
  statuses: Map<number, number>
  /** Requests per duration bucket (the last: above every bound). */
  buckets: Float64Array
  sum: number
  count: number
}

/**
 * `strata_http_requests_total{method,route,status}` and
 * `strata_http_request_duration_seconds{method,route}` as a prom-client collectable: `observe` is a
 * two-level map lookup and a bucket search; the exposition is built when `/metrics` asks.
 */
export class RequestMetrics {
  readonly #bounds: readonly number[]
  readonly #series = new Map<string, Map<string, Series>>()

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds
  }

  /** Counts one request (label sets are bounded: methods × matched routes × statuses). */
  observe(method: string, route: string, status: number, seconds: number): void {
    let routes = this.#series.get(method)
    if (routes === undefined) {
      routes = new Map()
      this.#series.set(method, routes)
    }
    let series = routes.get(route)
    if (series === undefined) {
      series = {
        method,
        route,
        statuses: new Map(),
        buckets: new Float64Array(this.#bounds.length + 1),
        sum: 0,
        count: 0,
      }
      routes.set(route, series)
    }
    series.statuses.set(status, (series.statuses.get(status) ?? 0) + 1)
    let bucket = 0
    while (bucket < this.#bounds.length && seconds > (this.#bounds[bucket] as number)) bucket++
    ;(series.buckets[bucket] as number)++
    series.sum += seconds
    series.count++
  }

  /** Registers both metrics in `registry`. */
  register(registry: Registry): void {
    registry.registerMetric(
      this.#metric(
        'strata_http_requests_total',
        'counter',
        'HTTP requests answered, by method, matched route and status',
        () => this.#counts(),
      ),
    )
    registry.registerMetric(
      this.#metric(
        'strata_http_request_duration_seconds',
        'histogram',
        'Time from a request to the end of its response body, by method and matched route',
        () => this.#histogram(),
      ),
    )
  }

  #all(): Series[] {
    return [...this.#series.values()].flatMap((routes) => [...routes.values()])
  }

  #counts(): MetricValueWithName<string>[] {
    return this.#all().flatMap(({ method, route, statuses }) =>
      [...statuses].map(([status, value]) => ({ labels: { method, route, status: String(status) }, value })),
    )
  }

  #histogram(): MetricValueWithName<string>[] {
    const name = 'strata_http_request_duration_seconds'
    return this.#all().flatMap(({ method, route, buckets, sum, count }) => {
      let cumulative = 0
      const values: MetricValueWithName<string>[] = this.#bounds.map((bound, i) => {
        cumulative += buckets[i] as number
        return { labels: { method, route, le: bound }, value: cumulative, metricName: `${name}_bucket` }
      })
      values.push({ labels: { method, route, le: '+Inf' }, value: count, metricName: `${name}_bucket` })
      values.push({ labels: { method, route }, value: sum, metricName: `${name}_sum` })
      values.push({ labels: { method, route }, value: count, metricName: `${name}_count` })
      return values
    })
  }

  /**
   * A collectable in the shape prom-client's registry reads at each scrape (`name`, `get()`); its
   * types only name prom-client's own classes, hence the cast.
   */
  #metric(
    name: string,
    type: 'counter' | 'histogram',
    help: string,
    values: () => MetricValueWithName<string>[],
  ): Metric {
    const get = async () =>
      ({ name, help, type, aggregator: 'sum', values: values() }) as unknown as MetricObjectWithValues<
        MetricValueWithName<string>
      >
    return {
      name,
      help,
      type,
      aggregator: 'sum',
      get,
      reset: () => this.#series.clear(),
    } as unknown as Metric
  }
}
