import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener, RequestError } from '@hono/node-server'
import { type Logger, pino } from 'pino'
import { createApp, type StrataApp } from './app.js'
import type { Config } from './config/index.js'
import { createContainer, type StrataContainer } from './container/index.js'
import { applyPrivateUmask } from './container/trusted-paths.js'
import { answerClientErrors } from './http/client-error.js'
import type { ConnectionStats } from './http/connection-limits.js'
import { errorResponse } from './http/error-response.js'
import { type MetricsServer, startMetricsServer } from './http/metrics-server.js'
import { guardServer, serverOptions } from './http/server-guards.js'
import type { NodeIdentity } from './identity/index.js'
import { createMetrics } from './observability/index.js'
import { baseUrlOf } from './url.js'

/** Default bound for in-flight requests to finish at shutdown, in milliseconds. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000

/** Options for {@link startServer}. */
export interface StartServerOptions {
  /** The validated configuration (`loadConfig`). */
  config: Config
  /** The logger (default: pino at `config.log.level`, name `strata`). */
  logger?: Logger
  /** How long `close()` lets in-flight requests finish before cutting them, in ms. Default 10000. */
  shutdownTimeoutMs?: number
}

/** A running server. */
export interface RunningServer {
  /** The base URL it listens on, e.g. `http://127.0.0.1:3000` (the real port when configured 0). */
  url: string
  /** The public base URL handed out in presigned URLs (`server.publicUrl`, else {@link RunningServer.url}). */
  publicUrl: string
  /** The started container (its cradle holds the stores). */
  container: StrataContainer
  /** The node identity (its DID is on `/healthz`), loaded or generated in the keystore at start (`container.cradle.identity`). */
  identity: NodeIdentity
  /** The hono app and its metrics. */
  app: StrataApp
  /** The node HTTP server. */
  server: Server
  /** Its connection counts and limits (`server.maxConnections`, `server.maxConnectionsPerAddress`). */
  connections: ConnectionStats
  /** The separate `/metrics` listener's base URL, when `server.metricsPort` is set. */
  metricsUrl?: string
  /**
   * Graceful shutdown, idempotent: stops accepting connections, closes idle keep-alive ones (and
   * each one that goes idle), lets in-flight requests finish for up to `shutdownTimeoutMs`, then
   * cuts the rest (their backend streams are aborted through the request signal) and stops the
   * container.
   * @throws {ShutdownError} when a store fails to close.
   */
  close(): Promise<void>
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    // a deeper accept queue than Node's 511, so a connection flood drops fewer honest SYNs (capped by somaxconn)
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    })
  })
}

/**
 * Creates the container, starts it (opening every store), and serves the app with `node:http` on
 * `config.server.host`/`port`. The app is built once the port is known, so a configured port 0
 * still yields a correct public URL. Sets the process umask to 0077 first, so everything the
 * server creates is private (0700 / 0600) whatever the umask it was started with.
 * @throws {StartupError} a store cannot be opened; a listen error (`EADDRINUSE`, …) after the
 *   container is stopped again.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config } = options
  const logger = options.logger ?? pino({ level: config.log.level, name: 'strata' })
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS
  applyPrivateUmask()
  const container = createContainer(config, { logger })
  await container.start()
  const identity = container.cradle.identity

  // answers 503 until the app exists (it needs the listening port for its public URL)
  let handle: (request: Request, env: unknown) => Response | Promise<Response> = () =>
    new Response(null, { status: 503, headers: { 'Retry-After': '1' } })
  let fastPath: (req: IncomingMessage, res: ServerResponse) => boolean = () => false
  const listener = getRequestListener((request, env) => handle(request, env), {
    // requests the adapter cannot turn into a `Request` (a raw backslash in the path, a bad Host)
    errorHandler: (error) =>
      error instanceof RequestError
        ? errorResponse(400, 'BadRequest', `request: ${error.message}`)
        : errorResponse(500, 'InternalError', 'internal server error'),
  })
  // Timeouts, connection limits, deferred 100 Continue: see http/server-guards.ts. Blob reads are
  // answered on the response directly (`fastPath`), everything else by the hono app.
  const server = createServer(serverOptions(config.server), (req: IncomingMessage, res: ServerResponse) => {
    if (!fastPath(req, res)) listener(req, res)
  })
  answerClientErrors(server)
  const metrics = createMetrics()
  const connections = guardServer(server, { config: config.server, listener, metrics })
  let metricsServer: MetricsServer | undefined
  let address: AddressInfo
  try {
    address = await listen(server, config.server.host, config.server.port)
    const { metricsPort, metricsHost } = config.server
    if (metricsPort !== undefined) {
      metricsServer = await startMetricsServer({
        host: metricsHost ?? config.server.host,
        port: metricsPort,
        metrics,
      })
    }
  } catch (error) {
    server.close()
    await container.stop().catch((stopError) => logger.error({ err: stopError }, 'stop failed'))
    throw error
  }
  const url = baseUrlOf(config.server.host, address.port)
  const publicUrl = (config.server.publicUrl ?? url).replace(/\/+$/, '')
  const app = createApp({ container, publicUrl, metrics, serveMetrics: metricsServer === undefined })
  handle = (request, env) => app.app.fetch(request, env as object)
  fastPath = app.fastPath
  logger.info(
    {
      url,
      publicUrl,
      metricsUrl: metricsServer?.url,
      did: identity.did,
      backend: container.backend,
      ...connections.limits,
    },
    'listening',
  )

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      logger.info({ timeoutMs: shutdownTimeoutMs }, 'shutting down')
      const drained = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      // keep-alive connections go idle as their last request ends: close them as they do
      const sweep = setInterval(() => server.closeIdleConnections(), 50)
      let timer: NodeJS.Timeout | undefined
      const cut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), shutdownTimeoutMs)
      })
      if ((await Promise.race([drained, cut])) === 'timeout') {
        logger.warn('in-flight requests did not finish in time: closing their connections')
        server.closeAllConnections()
        await drained
      }
      clearTimeout(timer)
      clearInterval(sweep)
      await metricsServer?.close()
      await container.stop()
      logger.info('stopped')
    })()
    return closing
  }
  return {
    url,
    publicUrl,
    container,
    identity,
    app,
    server,
    connections,
    ...(metricsServer === undefined ? {} : { metricsUrl: metricsServer.url }),
    close,
  }
}
