import type { GarbageCollector } from '@strata/stores/gc'
import type { Logger } from 'pino'
import type { Resource } from './lifecycle.js'

/** Options for {@link gcLoop}. */
export interface GcLoopOptions {
  gc: GarbageCollector
  /** Between the end of a run and the start of the next, in ms; 0: no loop. */
  intervalMs: number
  logger: Logger
}

/**
 * The periodic collection (`gc.intervalMs`) as a container resource: opened last, it schedules a
 * run every interval (never two at once: the next is scheduled when one ends); closed first, it
 * aborts a run in progress and waits for it. A run refused because another instance holds the
 * lease is normal in s3 mode (logged at debug); any other failure is logged, and the loop goes on.
 */
export function gcLoop(options: GcLoopOptions): Resource {
  const { gc, intervalMs, logger } = options
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let controller: AbortController | undefined
  let stopped = true
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      controller = new AbortController()
      running = gc
        .gc({ signal: controller.signal })
        .then(
          (result) => logger.info({ gc: result }, 'garbage collection done'),
          (error: unknown) => {
            const name = (error as { name?: unknown }).name
            if (name === 'GcLeaseHeldError')
              logger.debug({ err: error }, 'garbage collection running elsewhere')
            else if (!stopped) logger.warn({ err: error }, 'garbage collection failed')
          },
        )
        .finally(() => {
          running = undefined
          schedule()
        })
    }, intervalMs)
    timer.unref()
  }
  return {
    name: `garbage collection every ${intervalMs} ms`,
    open: async () => {
      if (intervalMs <= 0) return
      stopped = false
      schedule()
    },
    close: async () => {
      stopped = true
      clearTimeout(timer)
      controller?.abort()
      await running
    },
  }
}
