/**
 * What guards the node HTTP server against abusive or careless clients (issue 14), applied in one
 * call from `server.ts`: its timeouts, connection limits and the deferred `100 Continue`.
 * @packageDocumentation
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import type { Config } from '../config/schema.js'
import type { StrataMetrics } from '../observability/index.js'
import {
  type ConnectionStats,
  connectionLimitsOf,
  connectionsCheckingInterval,
  limitConnections,
} from './connection-limits.js'
import { deferContinue } from './expect-continue.js'
import { connectionMetrics } from './metrics-server.js'

/**
 * The `createServer` options: no total-time limit (Node's default cuts any request at 5 min, a
 * large upload included); the headers get `server.headersTimeoutMs`, checked every
 * {@link connectionsCheckingInterval}; after them only silence is limited (`server.idleTimeoutMs`,
 * the socket timeout).
 */
export function serverOptions(config: Config['server']): ServerOptions {
  return {
    requestTimeout: 0,
    headersTimeout: config.headersTimeoutMs,
    connectionsCheckingInterval: connectionsCheckingInterval(config.headersTimeoutMs),
  }
}

/**
 * Applies the connection limits (`server.maxConnections`, `server.maxConnectionsPerAddress`, see
 * `connection-limits.ts`) with their metrics in `metrics`, and defers `100 Continue` of uploads
 * to the route (`expect-continue.ts`; such requests go to `listener`).
 */
export function guardServer(
  server: Server,
  options: {
    config: Config['server']
    listener: (req: IncomingMessage, res: ServerResponse) => void
    metrics: StrataMetrics
  },
): ConnectionStats {
  server.timeout = options.config.idleTimeoutMs
  deferContinue(server, options.listener)
  let stats: ConnectionStats | undefined
  const onReject = connectionMetrics(options.metrics.registry, () => stats?.open() ?? 0)
  stats = limitConnections(server, connectionLimitsOf(options.config), { onReject })
  return stats
}
