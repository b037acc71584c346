/**
 * `Expect: 100-continue` answered only once an upload is authorised and admitted: a client that
 * waits for the `100` sends no body byte the server would refuse anyway.
 * @packageDocumentation
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/** The routes whose handlers decide when to send `100 Continue` (uploads); every other one gets it at once. */
const DEFERRED = /^PUT \/blob\//

/** Requests whose `100 Continue` was deferred and not yet sent. */
const pending = new WeakSet<ServerResponse>()

/**
 * Handles Node's `checkContinue` (a request with `Expect: 100-continue`), which otherwise answers
 * `100 Continue` before the app runs. `PUT /blob/…` is passed to `listener` without it: the route
 * calls {@link sendContinue} once its checks pass. If it answers first (401, 403, 507, …), the
 * connection is closed after the answer, since the client may still send the body it held back.
 * Every other request gets its `100` at once, as Node would.
 */
export function deferContinue(
  server: Server,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (DEFERRED.test(`${req.method} ${req.url}`)) {
      pending.add(res)
      res.setHeader('Connection', 'close')
    } else {
      res.writeContinue()
    }
    listener(req, res)
  })
}

/**
 * Sends the deferred `100 Continue` of the request whose hono `env` (`{ incoming, outgoing }` from
 * `@hono/node-server`) is given, if it asked for one and nothing was answered yet; the connection
 * may then be kept alive. Without a node response (`app.request` in tests), does nothing.
 */
export function sendContinue(env: unknown): void {
  const outgoing = (env as { outgoing?: unknown } | undefined)?.outgoing as ServerResponse | undefined
  if (outgoing === undefined || !pending.has(outgoing)) return
  pending.delete(outgoing)
  if (outgoing.headersSent) return
  outgoing.removeHeader('Connection')
  outgoing.writeContinue()
}

/** Whether the request of `env` waits for a deferred `100 Continue` (see {@link deferContinue}). */
export function awaitsContinue(env: unknown): boolean {
  const outgoing = (env as { outgoing?: unknown } | undefined)?.outgoing as ServerResponse | undefined
  return outgoing !== undefined && pending.has(outgoing)
}
