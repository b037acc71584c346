import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

/** The status Node's HTTP parser errors get: header overflow → 431, timeouts → 408, else 400. */
function statusOf(code: string | undefined): 400 | 408 | 431 {
  if (code === 'HPE_HEADER_OVERFLOW') return 431
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408
  return 400
}

const NAMES = { 400: 'BadRequest', 408: 'RequestTimeout', 431: 'HeadersTooLarge' } as const
const MESSAGES = {
  400: 'malformed HTTP request',
  408: 'the request headers were not received in time',
  431: 'request headers too large',
} as const

/**
 * Answers the requests Node's HTTP parser rejects before the app sees them (bad framing, a
 * `Content-Length` that is not a number, a NUL in the target, headers over `maxHeaderSize`, headers
 * too slow) with the server's JSON error body `{ error: { name, message } }` instead of Node's bare
 * one, then closes the connection. Nothing is written when an answer has already begun on the
 * connection (its headers were sent): the connection is only destroyed, as Node does.
 */
export function answerClientErrors(server: Server): void {
  const answering = new WeakMap<Duplex, ServerResponse>()
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    answering.set(req.socket, res)
  })
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable || answering.get(socket)?.headersSent) {
      socket.destroy()
      return
    }
    const status = statusOf(error.code)
    const body = JSON.stringify({ error: { name: NAMES[status], message: MESSAGES[status] } })
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=UTF-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    )
  })
}
