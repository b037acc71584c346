/**
 * Writes a streamed answer straight on node:http's response: the status line goes out with the
 * first chunk, every chunk takes its bytes from one budget shared by all responses until the
 * socket has taken it, and the socket is watched for a reader that takes nothing.
 * @packageDocumentation
 */
import type { ServerResponse } from 'node:http'
import type { ResponseSends } from './response-sends.js'

/** An answer whose body is still to be read. */
export interface StreamedAnswer {
  status: number
  headers: Record<string, string>
  /** The body: chunks still to be read, or bytes in hand (sent in one `end`). */
  body: AsyncIterable<Uint8Array> | Uint8Array
  /** Called with each chunk of `body` once the socket has taken it (the backend reuses its memory). */
  recycle?: ((chunk: Uint8Array) => void) | undefined
}

/** What a send did: bytes handed to the socket, and how it ended. */
export interface Sent {
  bytes: number
  outcome: 'end' | Error
}

/**
 * Writes `answer` to `res` and ends it. Before each chunk is read, its bytes are leased from the
 * budget; the lease is given back once the socket has taken the chunk, so slow readers together
 * never hold more than the budget, and a reader that stops reading holds at most one chunk (until
 * `sends` cuts it). A small
 * body goes out in one `end(chunk)`. The status line is written with the first chunk: a body that
 * fails before it is thrown (the caller can still answer an error); a failure after it (or the
 * client going away) closes the body, which releases its backend handle, and closes the connection
 * once what was written is flushed, so the client sees a body shorter than its Content-Length.
 * @throws what the body threw before its first byte was sent.
 */
export async function sendAnswer(
  res: ServerResponse,
  answer: StreamedAnswer,
  sends: ResponseSends,
  signal: AbortSignal,
): Promise<Sent> {
  const { budget, chunkBytes } = sends
  const { recycle } = answer
  if (answer.body instanceof Uint8Array) return sendBytes(res, answer, answer.body, sends, signal)
  const chunks = answer.body[Symbol.asyncIterator]()
  let remaining = Number(answer.headers['Content-Length'] ?? Number.NaN)
  const leaseFor = () =>
    budget.acquire(Number.isNaN(remaining) ? chunkBytes : Math.min(chunkBytes, remaining), signal)
  let lease = await leaseFor()
  let current: IteratorResult<Uint8Array>
  try {
    current = await chunks.next()
  } catch (error) {
    lease.release()
    await chunks.return?.()
    throw error
  }
  res.writeHead(answer.status, answer.headers)
  // Watched until the response closes: its last chunk, handed over with `end`, is watched too.
  if (res.socket !== null) res.once('close', sends.watch(res.socket))
  let bytes = 0
  try {
    while (!current.done) {
      const chunk = current.value
      bytes += chunk.byteLength
      remaining -= chunk.byteLength
      const held = lease
      if (remaining === 0) {
        res.end(chunk, () => {
          held.release()
          recycle?.(chunk)
        })
        // The last byte is read: close the body (it has no more to give) so it releases its handle.
        await chunks.return?.()
        return { bytes, outcome: 'end' }
      }
      const taken = (error?: Error | null) => {
        held.release()
        if (!error) recycle?.(chunk)
      }
      if (!res.write(chunk, taken)) await drained(res, signal)
      lease = await leaseFor()
      current = await chunks.next()
    }
    lease.release()
    res.end()
    return { bytes, outcome: 'end' }
  } catch (error) {
    lease.release()
    await chunks.return?.()
    // What was written still reaches the client, then the connection closes: a body shorter than
    // its Content-Length, never one passed off as whole.
    if (res.socket !== null && !signal.aborted) res.socket.destroySoon()
    else res.destroy()
    return { bytes, outcome: error instanceof Error ? error : new Error(String(error)) }
  }
}

/** Sends an answer whose bytes are in hand: one lease (without waiting when it is free), one `end`. */
async function sendBytes(
  res: ServerResponse,
  answer: StreamedAnswer,
  bytes: Uint8Array,
  sends: ResponseSends,
  signal: AbortSignal,
): Promise<Sent> {
  const lease =
    sends.budget.tryAcquire(bytes.byteLength) ?? (await sends.budget.acquire(bytes.byteLength, signal))
  res.writeHead(answer.status, answer.headers)
  if (res.socket !== null) res.once('close', sends.watch(res.socket))
  res.end(bytes, () => {
    lease.release()
    answer.recycle?.(bytes)
  })
  return { bytes: bytes.byteLength, outcome: 'end' }
}

/** Resolves once `res` can take more, or rejects when the client goes away. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      res.off('drain', done)
      signal.removeEventListener('abort', gone)
      resolve()
    }
    const gone = () => {
      res.off('drain', done)
      reject(signal.reason)
    }
    if (signal.aborted) return gone()
    res.once('drain', done)
    signal.addEventListener('abort', gone, { once: true })
  })
}
