import { CliError } from './io.js'

/**
 * `fetch` that turns network failures into a {@link CliError} naming the server
 * (`cannot reach http://127.0.0.1:3000: ECONNREFUSED`).
 */
export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init)
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
    throw new CliError(`cannot reach ${new URL(url).origin}: ${why}`, 1)
  }
}

/**
 * The {@link CliError} (exit 1) for an HTTP error answer: `<status> <name>: <message>` from the
 * server's JSON body `{ error: { name, message } }`, else the status text.
 */
export async function httpFailure(response: Response, what: string): Promise<CliError> {
  const text = await response.text().catch(() => '')
  let detail = response.statusText || 'error'
  try {
    const body = JSON.parse(text) as { error?: { name?: unknown; message?: unknown } }
    if (typeof body.error?.name === 'string' && typeof body.error.message === 'string')
      detail = `${body.error.name}: ${body.error.message}`
  } catch {
    if (text.trim() !== '') detail = text.trim().slice(0, 200)
  }
  return new CliError(`${what} failed: ${response.status} ${detail}`, 1)
}
