import { AsyncLocalStorage } from 'node:async_hooks'
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http'
import type { Client } from 'minio'
import { RequestTimeoutError } from '../errors.js'

/**
 * Per-call request settings. minio-js v8 has no per-request signal or timeout, so the store runs
 * each call inside a scope (AsyncLocalStorage) and the client's transport, instrumented once by
 * {@link instrumentClient}, reads the scope of the call that is making the request.
 */
export interface RequestScope {
  /** Destroys the call's in-flight request (and so its socket) with the signal's reason. */
  signal: AbortSignal | undefined
  /** Longest silence allowed from the server (connecting, sending, waiting for an answer). */
  timeoutMs: number
  /**
   * The call hands the object's body to the store's caller: once the headers of a successful
   * GetObject are in, the socket timeout is switched off (the body reader times each wait itself,
   * so a slow consumer is never mistaken for a silent server). Other requests of the call (e.g. a
   * bucket-location lookup, whose path has a query) keep it until their answer is read.
   */
  streamsBody: boolean
  /** Status and headers of the last response received in this scope, for error mapping. */
  response?: { status: number; headers: IncomingHttpHeaders }
}

const scopes = new AsyncLocalStorage<RequestScope>()
const INSTRUMENTED = Symbol.for('@strata/objectstore/minio/instrumented-transport')

/**
 * Statuses minio-js retries and then reports as a plain Error without ever reading the response
 * (minio/src/internal/request.ts, `retryHttpCodes`): their bodies are drained here so the socket
 * goes back to the pool instead of leaking.
 */
const UNREAD_STATUSES = new Set([408, 429, 499, 500, 502, 503, 504, 520])

type RequestFunction = (options: RequestOptions, callback?: (res: IncomingMessage) => void) => ClientRequest
interface Transport {
  request: RequestFunction
  [INSTRUMENTED]?: true
}

/** Runs `task` with every request it makes through an instrumented client bound to `scope`. */
export function inScope<T>(scope: RequestScope, task: () => Promise<T>): Promise<T> {
  return scopes.run(scope, task)
}

/**
 * Wraps the client's HTTP transport, once per client (idempotent): requests made inside
 * {@link inScope} get the scope's timeout and abort signal; any other request made through the
 * client passes through unchanged.
 * @throws {TypeError} when `client` is not a minio v8 `Client` (it has no transport to wrap).
 */
export function instrumentClient(client: Client): void {
  const holder = client as unknown as { transport?: Transport }
  const base = holder.transport
  if (base === undefined || typeof base.request !== 'function') {
    throw new TypeError('client must be a minio v8 Client (no HTTP transport found)')
  }
  if (base[INSTRUMENTED]) return
  const request: RequestFunction = (options, callback) => {
    const scope = scopes.getStore()
    if (scope === undefined) return base.request(options, callback)
    return scopedRequest(base, scope, options, callback)
  }
  holder.transport = { request, [INSTRUMENTED]: true }
}

function scopedRequest(
  base: Transport,
  scope: RequestScope,
  options: RequestOptions,
  callback?: (res: IncomingMessage) => void,
): ClientRequest {
  delete scope.response
  const { signal } = scope
  const getsObject = scope.streamsBody && options.method === 'GET' && !String(options.path).includes('?')
  const req = base.request(options, (res) => {
    const status = res.statusCode ?? 0
    scope.response = { status, headers: res.headers }
    if (UNREAD_STATUSES.has(status)) res.resume()
    else if (getsObject && status < 300) req.setTimeout(0)
    callback?.(res)
  })
  req.setTimeout(scope.timeoutMs, () => req.destroy(new RequestTimeoutError(scope.timeoutMs)))
  if (signal !== undefined) {
    const onAbort = () => req.destroy(signal.reason)
    if (signal.aborted) process.nextTick(onAbort)
    else {
      signal.addEventListener('abort', onAbort, { once: true })
      req.once('close', () => signal.removeEventListener('abort', onAbort))
    }
  }
  return req
}
