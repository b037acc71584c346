/**
 * Runs `task` on every item of `items` with at most `concurrency` running at once, in input order
 * of starting. On a failure no new task starts; the first error is thrown once the running ones have
 * settled. Items are pulled from the iterable as room frees up (a listing is never held whole).
 */
export async function eachLimited<T>(
  items: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>()
  let failure: { error: unknown } | undefined
  for await (const item of items) {
    if (failure) break
    const run: Promise<void> = task(item).then(
      () => {
        running.delete(run)
      },
      (error: unknown) => {
        running.delete(run)
        failure ??= { error }
      },
    )
    running.add(run)
    if (running.size >= concurrency) await Promise.race(running)
  }
  await Promise.all(running)
  if (failure) throw failure.error
}
