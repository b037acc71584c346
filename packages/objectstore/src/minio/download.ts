import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { ObjectResult, ObjectStat } from '../contract.js'
import { RangeNotSatisfiableError, RequestTimeoutError, UnavailableError } from '../errors.js'
import { type ByteRange, type ResolvedRange, resolveRange } from '../range.js'
import { BACKEND, toStoreError } from './errors.js'

/** What a GET response holds: the object's total size and where its body starts in the object. */
export interface ResponseExtent {
  /** Total size of the object. */
  size: number
  /** Offset in the object of the body's first byte. */
  start: number
  /** Bytes in the body. */
  length: number
}

/**
 * Reads the extent of a GET answer: `206` from `Content-Range: bytes a-b/total` (S3 clamps an
 * `end` past the object, so the total is what tells a clamped range apart), `200` from
 * `Content-Length` (the whole object: no range was sent, or the server ignored it).
 * @throws {UnavailableError} when the headers do not say it (not an S3 answer).
 */
export function extentOf(status: number, headers: IncomingHttpHeaders): ResponseExtent {
  const length = Number(headers['content-length'])
  if (status === 206) {
    const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(headers['content-range'] ?? '')
    if (match !== null) {
      const [start, end, size] = [Number(match[1]), Number(match[2]), Number(match[3])]
      return { size, start, length: end - start + 1 }
    }
  } else if (status === 200 && Number.isSafeInteger(length) && length >= 0) {
    return { size: length, start: 0, length }
  }
  const shown = `status ${status}, Content-Range ${headers['content-range']}, Content-Length ${headers['content-length']}`
  throw new UnavailableError(BACKEND, `unexpected answer to a GET (${shown})`)
}

/** The total size a `416` answer states, when it states one (`Content-Range: bytes *\/N`, AWS XML). */
export function sizeFrom416(headers: IncomingHttpHeaders | undefined, error: unknown): number | undefined {
  const header = /^bytes \*\/(\d+)$/.exec(headers?.['content-range'] ?? '')
  const fromXml = (error as { actualobjectsize?: unknown } | undefined)?.actualobjectsize
  const size = header !== null ? Number(header[1]) : Number(fromXml ?? Number.NaN)
  return Number.isSafeInteger(size) && size >= 0 ? size : undefined
}

/** How {@link readBody} reads a response. */
export interface ReadBodyOptions {
  /** Bytes the response body carries (its Content-Length). */
  bodyLength: number
  /** Bytes to drop from the start of the body (a server that ignored the Range header). */
  skip: number
  /** Bytes to yield after `skip`. */
  length: number
  /** Longest wait for the next chunk once the caller asks for it. */
  timeoutMs: number
  /** The caller's signal: destroys the response with its reason. */
  signal: AbortSignal | undefined
}

/**
 * Yields the response body as the object's bytes. Each wait for a chunk is bounded by
 * `timeoutMs` (the timer runs only while the caller is waiting, so a slow consumer is fine); a
 * body that ends early is an `UnavailableError`, never a silently short object. A body read to its
 * end returns the socket to the pool; breaking out of the loop, an error or the signal destroys
 * the response, which closes its socket.
 */
export async function* readBody(
  response: IncomingMessage,
  options: ReadBodyOptions,
): AsyncGenerator<Uint8Array> {
  const { signal, timeoutMs } = options
  const onAbort = () => response.destroy(signal?.reason)
  signal?.addEventListener('abort', onAbort, { once: true })
  const chunks: AsyncIterator<Buffer> = response[Symbol.asyncIterator]()
  const next = async (): Promise<IteratorResult<Buffer>> => {
    const timer = setTimeout(() => response.destroy(new RequestTimeoutError(timeoutMs)), timeoutMs)
    try {
      return await chunks.next()
    } catch (error) {
      throw toStoreError(error, { signal })
    } finally {
      clearTimeout(timer)
    }
  }
  // Bytes past the wanted ones (only when a server ignored the Range): not worth reading.
  const trailing = options.bodyLength - options.skip - options.length
  let skip = options.skip
  let remaining = options.length
  let ended = false
  try {
    signal?.throwIfAborted()
    while (remaining > 0 || (trailing <= 0 && !ended)) {
      const result = await next()
      if (result.done) {
        ended = true
        if (remaining > 0) {
          const message = `response body ended ${remaining} bytes short of ${options.skip + options.length}`
          throw new UnavailableError(BACKEND, message)
        }
        break
      }
      let chunk: Uint8Array = result.value
      if (skip > 0) {
        const dropped = Math.min(skip, chunk.byteLength)
        chunk = chunk.subarray(dropped)
        skip -= dropped
      }
      if (chunk.byteLength > remaining) chunk = chunk.subarray(0, remaining)
      if (chunk.byteLength === 0) continue
      remaining -= chunk.byteLength
      yield chunk
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    if (!ended) response.destroy()
  }
}

/** A range S3 refused (416), and how to learn what the answer needs. */
export interface RefusedRange {
  key: string
  range: ByteRange
  /** The size the 416 stated, if it did (AWS does; Ceph RGW does not). */
  size: number | undefined
  cause: unknown
  /** One HEAD of the key. */
  stat(key: string): Promise<ObjectStat>
}

/**
 * The `RangeNotSatisfiableError` of a range S3 refused, with the size its 416 stated or a HEAD
 * learned; or, for a suffix of an empty object (which the contract answers with its 0 bytes), the
 * empty result.
 */
export async function unsatisfiable(refused: RefusedRange): Promise<ObjectResult> {
  const { key, range, cause } = refused
  const found = refused.size === undefined ? await refused.stat(key) : undefined
  const known = refused.size ?? (found as ObjectStat).size
  let wanted: ResolvedRange
  try {
    wanted = resolveRange(range, known)
  } catch {
    throw new RangeNotSatisfiableError(range, known, { cause })
  }
  const { etag } = found ?? (await refused.stat(key))
  return { size: known, etag, range: wanted, body: emptyBody() }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
