/**
 * The HTTP edge: the one place an `AsyncIterable<Uint8Array>` becomes a Web `ReadableStream`.
 */

/**
 * A pull-based `ReadableStream` over `source`. Each `pull` asks the iterator for one chunk, so the
 * socket's backpressure reaches the backend (nothing is read ahead but one chunk). Cancelling the
 * stream (the client went away: `@hono/node-server` cancels the body's reader) calls the
 * iterator's `return()`, which releases the backend's handle or socket. An error from the source
 * goes to `onError` (for logging) and errors the stream: the server then drops the connection (the
 * status line is already sent), so the client sees a truncated body, never a short one passed off
 * as complete. (`@hono/node-server` also writes that error to the console.)
 *
 * The first chunk is requested as soon as the stream is created (high-water mark 1), so the source
 * is started and a later `return()` reaches its cleanup (an async generator that was never started
 * skips its `finally` blocks on `return()`).
 */
export function toReadableStream(
  source: AsyncIterable<Uint8Array>,
  onError?: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]()
  // Set when the consumer cancels (the client went away) while a chunk is being read: that chunk,
  // or the source's failure caused by the cancel, then goes nowhere and is no error.
  let cancelled = false
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: IteratorResult<Uint8Array>
        try {
          result = await iterator.next()
        } catch (error) {
          if (cancelled) return
          onError?.(error)
          controller.error(error)
          return
        }
        if (cancelled) return
        if (result.done) controller.close()
        else controller.enqueue(result.value)
      },
      async cancel() {
        cancelled = true
        await iterator.return?.()
      },
    },
    { highWaterMark: 1 },
  )
}
