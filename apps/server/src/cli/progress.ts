import type { CliIo } from './io.js'

/** Files at least this large get a live progress bar (when stderr is a TTY). */
export const PROGRESS_MIN_BYTES = 8 * 1024 * 1024

/** Progress of one transfer on stderr. */
export interface Progress {
  /** `bytes` more were transferred. */
  add(bytes: number): void
  /** Ends the bar and prints the final line (`uploaded 256.0 MiB in 3.1 s (82.6 MiB/s)`). */
  done(): void
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${Math.round(bytes)} B` : `${value.toFixed(1)} ${units[unit]}`
}

/**
 * A progress reporter for `total` bytes labelled `verb` (`hashing`, `uploading`): a bar redrawn at
 * most every 100 ms when stderr is a TTY and `total` ≥ {@link PROGRESS_MIN_BYTES}; otherwise only
 * the final line (when `finalLine` is set).
 */
export function createProgress(
  io: CliIo,
  verb: string,
  total: number,
  finalLine: string | undefined,
): Progress {
  const started = performance.now()
  const live = io.stderr.isTTY === true && total >= PROGRESS_MIN_BYTES
  let done = 0
  let drawn = 0
  const rate = () => done / Math.max((performance.now() - started) / 1000, 0.001)
  const draw = () => {
    const width = Math.max(10, Math.min(40, (io.stderr.columns ?? 80) - 50))
    const ratio = total === 0 ? 1 : done / total
    const filled = Math.round(ratio * width)
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`
    const pct = `${Math.floor(ratio * 100)}`.padStart(3)
    io.stderr.write(
      `\r${verb} ${pct}% [${bar}] ${formatBytes(done)}/${formatBytes(total)} ${formatBytes(rate())}/s \x1b[K`,
    )
  }
  return {
    add(bytes) {
      done += bytes
      if (!live) return
      const now = performance.now()
      if (now - drawn < 100 && done < total) return
      drawn = now
      draw()
    },
    done() {
      if (live) {
        draw()
        io.stderr.write('\n')
      }
      if (finalLine === undefined) return
      const seconds = (performance.now() - started) / 1000
      io.stderr.write(
        `${finalLine} ${formatBytes(done)} in ${seconds.toFixed(1)} s (${formatBytes(rate())}/s)\n`,
      )
    },
  }
}
