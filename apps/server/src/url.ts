/**
 * `http://host:port` of a listening address: IPv6 bracketed, wildcard addresses (`0.0.0.0`, `::`)
 * replaced by loopback so the URL is usable from the same machine.
 */
export function baseUrlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
}
