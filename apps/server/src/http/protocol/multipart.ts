import { randomBytes } from 'node:crypto'
import type { ResolvedRange } from '@strata/objectstore'
import { contentRange } from './ranges.js'

/** The Content-Type of every part of a multipart/byteranges answer. */
export const PART_CONTENT_TYPE = 'application/octet-stream'

/** A multipart/byteranges body laid out before any byte is read, so its length is known up front. */
export interface MultipartPlan {
  /** The boundary: 32 random hex characters, which cannot occur in the part headers. */
  boundary: string
  /** `multipart/byteranges; boundary=…`. */
  contentType: string
  /** Exact length of the body in bytes, for `Content-Length`. */
  length: number
  /** Each part's range and the delimiter + headers written before its bytes. */
  parts: Array<{ range: ResolvedRange; head: Uint8Array }>
  /** The close delimiter written after the last part. */
  tail: Uint8Array
}

const encoder = new TextEncoder()

/**
 * Lays out the multipart/byteranges body (RFC 9110 §14.6, RFC 2046 §5.1) of `ranges` of a blob of
 * `size` bytes:
 *
 * ```
 * --BOUNDARY CRLF
 * Content-Type: application/octet-stream CRLF
 * Content-Range: bytes s-e/size CRLF
 * CRLF
 * <bytes> CRLF
 * --BOUNDARY CRLF … <bytes> CRLF
 * --BOUNDARY-- CRLF
 * ```
 * @param boundary fixed in tests; default 32 random hex characters.
 */
export function planMultipart(
  ranges: readonly ResolvedRange[],
  size: number,
  boundary: string = randomBytes(16).toString('hex'),
): MultipartPlan {
  const parts = ranges.map((range, index) => {
    const head =
      `${index === 0 ? '' : '\r\n'}--${boundary}\r\n` +
      `Content-Type: ${PART_CONTENT_TYPE}\r\n` +
      `Content-Range: ${contentRange(range, size)}\r\n\r\n`
    return { range, head: encoder.encode(head) }
  })
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`)
  const length = parts.reduce(
    (total, part) => total + part.head.byteLength + part.range.length,
    tail.byteLength,
  )
  return { boundary, contentType: `multipart/byteranges; boundary=${boundary}`, length, parts, tail }
}

/**
 * Streams the body `plan` describes, reading each part with `read(range)` only when the previous
 * one is done: one backend read open at a time, nothing buffered beyond the backend's chunks.
 * Stopping the generator (`return()`, e.g. the client went away) stops the part being read,
 * which releases its backend handle.
 */
export async function* multipartBody(
  plan: MultipartPlan,
  read: (range: ResolvedRange) => Promise<AsyncIterable<Uint8Array>>,
): AsyncGenerator<Uint8Array> {
  for (const part of plan.parts) {
    yield part.head
    yield* await read(part.range)
  }
  yield plan.tail
}
