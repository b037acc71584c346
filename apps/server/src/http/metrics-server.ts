/**
 * `/metrics` on a host and port of its own (`server.metricsPort`), so the process metrics
 * (`process_open_fds`, `process_max_fds`, …) need not be public beside the blob API.
 * @packageDocumentation
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { StrataMetrics } from '../observability/index.js'
import { baseUrlOf } from '../url.js'
import type { RejectReason } from './connection-limits.js'

/** A running metrics listener. */
export interface MetricsServer {
  /** `http://host:port` (the real port when configured 0). */
  url: string
  server: Server
  close(): Promise<void>
}

/**
 * Serves `GET /metrics` (Prometheus text) on `host:port`; every other request answers 404. At most
 * 16 connections, 5 s for headers.
 * @throws {Error} a listen error (`EADDRINUSE`, …).
 */
export async function startMetricsServer(options: {
  host: string
  port: number
  metrics: StrataMetrics
}): Promise<MetricsServer> {
  const { metrics } = options
  const server = createServer({ headersTimeout: 5000, requestTimeout: 10_000 }, (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end('not found\n')
      return
    }
    metrics.text().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }).end(text)
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics failed\n')
      },
    )
  })
  server.maxConnections = 16
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    })
  })
  return {
    url: baseUrlOf(options.host, address.port),
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/**
 * Registers the connection metrics in `registry`: the gauge `strata_connections_open` (read from
 * `open` at scrape) and the counter `strata_connections_refused_total{reason}` (`total`,
 * `address`), counted by the answered function (pass it as `limitConnections`'s `onReject`).
 */
export function connectionMetrics(registry: Registry, open: () => number): (reason: RejectReason) => void {
  new Gauge({
    name: 'strata_connections_open',
    help: 'HTTP connections open now',
    registers: [registry],
    collect() {
      this.set(open())
    },
  })
  const refused = new Counter({
    name: 'strata_connections_refused_total',
    help: 'HTTP connections refused with 503, by the limit they hit (total, address)',
    labelNames: ['reason'] as const,
    registers: [registry],
  })
  return (reason) => refused.inc({ reason })
}
