/**
 * Connection limits of the HTTP server: a total cap derived from the process's open-file limit and
 * a cap per client address, so one client cannot take every file descriptor (issue 14, D1).
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/** File descriptors kept out of the connection budget: stores, LevelDB, the journal, the log. */
export const RESERVED_FDS = 128

/** The smallest derived {@link ConnectionLimits.maxConnections}. */
export const MIN_DERIVED_CONNECTIONS = 16

/** Default {@link ConnectionLimits.maxConnectionsPerAddress}, at most a quarter of the total. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256

/** The open-file limit assumed where `/proc/self/limits` cannot be read (Linux's usual soft limit). */
export const FALLBACK_FD_LIMIT = 1024

/** The limits in force. */
export interface ConnectionLimits {
  /** Connections served at once, over all addresses. */
  maxConnections: number
  /** Connections one client address (an IPv6 /64) may hold. */
  maxConnectionsPerAddress: number
}

/**
 * The process's soft limit on open files (`Max open files` in `/proc/self/limits`; Node has no
 * `getrlimit`), or `undefined` where it cannot be read or is unlimited.
 */
export function openFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    const value = Number(line?.[1])
    return Number.isSafeInteger(value) && value > 0 ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * The limits from the configuration, defaults filled in: `maxConnections` =
 * `(open-file limit − 128) / 2` (a connection may hold a file or a backend socket besides its
 * own), at least 16; `maxConnectionsPerAddress` = 256 but at most a quarter of `maxConnections`
 * (so one address never holds them all), at least 1. A configured per-address limit is kept as
 * given (at most `maxConnections`): behind a proxy it may rightly equal the total.
 */
export function connectionLimitsOf(
  server: { maxConnections?: number | undefined; maxConnectionsPerAddress?: number | undefined },
  fdLimit: number | undefined = openFileLimit(),
): ConnectionLimits {
  const limit = fdLimit ?? FALLBACK_FD_LIMIT
  const maxConnections =
    server.maxConnections ?? Math.max(MIN_DERIVED_CONNECTIONS, Math.floor((limit - RESERVED_FDS) / 2))
  const perAddress =
    server.maxConnectionsPerAddress ??
    Math.max(1, Math.min(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, Math.floor(maxConnections / 4)))
  return { maxConnections, maxConnectionsPerAddress: Math.min(perAddress, maxConnections) }
}

/**
 * The key a connection is counted under: its IPv4 address (`::ffff:` mapping removed), or the
 * /64 prefix of its IPv6 address (one host can use a whole /64).
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return ''
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7)
  if (!address.includes(':')) return address
  const [head = '', tail = ''] = address.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':')}::/64`
}

/** Why a connection was refused. */
export type RejectReason = 'total' | 'address'

/** What {@link limitConnections} counts. */
export interface ConnectionStats {
  /** The limits in force. */
  readonly limits: ConnectionLimits
  /** Connections open now (accepted, not yet closed). */
  open(): number
  /** Connections open now from `address`'s key (see {@link addressKey}). */
  openFrom(address: string): number
  /** Connections refused so far, by reason. */
  rejected(): Readonly<Record<RejectReason, number>>
}

const BODY = JSON.stringify({
  error: { name: 'TooManyConnections', message: 'too many connections; retry later' },
})

/**
 * The whole answer to a refused connection, written before any byte of its request is read.
 * `Retry-After` as on every 503; the connection is closed after it.
 */
export const REFUSAL =
  'HTTP/1.1 503 Service Unavailable\r\n' +
  'Content-Type: application/json; charset=utf-8\r\n' +
  'Cache-Control: no-store\r\n' +
  'Retry-After: 5\r\n' +
  `Content-Length: ${Buffer.byteLength(BODY)}\r\n` +
  'Connection: close\r\n\r\n' +
  BODY

/** Node's own cap is set this far above ours: refused sockets are counted until they close. */
const REFUSAL_SLACK = 64

/**
 * Counts `server`'s connections by client address and refuses one that would pass either limit:
 * it is answered {@link REFUSAL} (a `503` with `Retry-After`, at most one small write, never
 * waiting for the client) and destroyed at once, so a refused connection holds its descriptor for
 * one tick. Refusing with an answer rather than a bare reset tells an honest client behind a busy
 * NAT when to come back; the cost is one write of ~200 bytes. Node's own `server.maxConnections`
 * is set a little above the total as a backstop (it closes sockets before any JavaScript runs).
 */
export function limitConnections(
  server: Server,
  limits: ConnectionLimits,
  options: { onReject?: (reason: RejectReason, address: string) => void } = {},
): ConnectionStats {
  let open = 0
  const byAddress = new Map<string, number>()
  const rejected: Record<RejectReason, number> = { total: 0, address: 0 }
  server.maxConnections = limits.maxConnections + REFUSAL_SLACK
  server.on('connection', (socket: Socket) => {
    const key = addressKey(socket.remoteAddress)
    const held = byAddress.get(key) ?? 0
    const reason: RejectReason | undefined =
      open >= limits.maxConnections
        ? 'total'
        : held >= limits.maxConnectionsPerAddress
          ? 'address'
          : undefined
    if (reason !== undefined) {
      rejected[reason]++
      options.onReject?.(reason, key)
      refuse(socket)
      return
    }
    open++
    byAddress.set(key, held + 1)
    socket.once('close', () => {
      open--
      const left = (byAddress.get(key) ?? 1) - 1
      if (left > 0) byAddress.set(key, left)
      else byAddress.delete(key)
    })
  })
  return {
    limits,
    open: () => open,
    openFrom: (address) => byAddress.get(addressKey(address)) ?? 0,
    rejected: () => ({ ...rejected }),
  }
}

function refuse(socket: Socket): void {
  socket.on('error', () => {}) // a reset from the client changes nothing
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.end(REFUSAL, () => socket.destroy())
  // a peer that takes nothing leaves 'finish' pending: never wait for it
  setImmediate(() => socket.destroy())
}

/**
 * How often Node checks `headersTimeout` on every connection, in ms: a quarter of the headers
 * timeout, from 250 ms to 5 s (a slow-header connection lives at most `headersTimeoutMs` plus this).
 */
export function connectionsCheckingInterval(headersTimeoutMs: number): number {
  return Math.min(5000, Math.max(250, Math.floor(headersTimeoutMs / 4)))
}
