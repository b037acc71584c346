import type { CID } from 'multiformats/cid'

/** Default {@link RetrievalJournalOptions.maxBatchSize}: 100 MiB, as in Piri. */
export const DEFAULT_MAX_BATCH_SIZE = 100 * 1024 * 1024

/** Default {@link RetrievalJournalOptions.rotateInterval}: 12 hours, in milliseconds. */
export const DEFAULT_ROTATE_INTERVAL = 12 * 60 * 60 * 1000

/** The longest interval a Node timer can wait (about 24.8 days). */
export const MAX_ROTATE_INTERVAL = 2 ** 31 - 1

/** Why a batch was rotated. */
export type RotateCause = 'size' | 'timer' | 'force'

/** Options for `RetrievalJournal`. */
export interface RetrievalJournalOptions {
  /** The journal's directory (a strata node uses one under `<dataDir>`); created by `open()`. */
  path: string
  /**
   * Rotate once `egress.car.wip` holds at least this many bytes (default 100 MiB). The check runs
   * after each append, so a batch exceeds it by less than one entry, as in Piri.
   */
  maxBatchSize?: number
  /**
   * Also rotate every `rotateInterval` milliseconds while open (default 12 h; `0` turns the timer
   * off; at most 2^31-1). A tick with nothing appended rotates nothing.
   */
  rotateInterval?: number
  /**
   * fdatasync the file after every append and before a rotation, and the directory after each
   * rename. Off by default (as in Piri): without it a power loss can lose the last acknowledged
   * entries (never earlier ones: a torn tail is cut off at `open()`); with it each append waits
   * for the disk.
   */
  fsync?: boolean
  /** Called after every rotation with the new batch's CID (e.g. to queue its submission). */
  onRotate?: (batch: CID, cause: RotateCause) => void
  /**
   * Called with errors nobody awaits: a timer rotation that failed (retried at the next tick), a
   * rotation after an append that failed (the append itself succeeded; retried at the next append),
   * or an `onRotate` that threw. Default: `process.emitWarning`.
   */
  onError?: (error: unknown) => void
}

/** What `RetrievalJournal.append` answers. */
export interface AppendResult {
  /** The entry's CID: CIDv1 car (0x0202) of the receipt archive's sha2-256. */
  entry: CID
  /** The CID of the batch this append completed, when it made the journal rotate. */
  batch?: CID
}

/** A batch opened for reading. */
export interface BatchResult {
  /** The batch file's size in bytes. */
  size: number
  /** Its bytes, streamed from disk: iterate to the end or `break` to release the file handle. */
  body: AsyncIterable<Uint8Array>
}

/** The state of the batch being written. */
export interface JournalStatus {
  /** Bytes in `egress.car.wip`, the header included. */
  size: number
  /** Entries (receipts) in it. */
  entries: number
  /** Bytes of a torn tail cut off by the last recovery (at `open()`, or after a failed write). */
  truncated: number
}

/**
 * Checks the numeric options and fills in the defaults.
 * @throws {RangeError} `maxBatchSize` is not a positive integer, or `rotateInterval` is not an
 * integer from 0 to {@link MAX_ROTATE_INTERVAL}.
 */
export function resolveLimits(options: RetrievalJournalOptions): {
  maxBatchSize: number
  rotateInterval: number
} {
  const maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE
  const rotateInterval = options.rotateInterval ?? DEFAULT_ROTATE_INTERVAL
  if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize <= 0) {
    throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`)
  }
  if (!Number.isInteger(rotateInterval) || rotateInterval < 0 || rotateInterval > MAX_ROTATE_INTERVAL) {
    throw new RangeError(
      `rotateInterval must be an integer from 0 to ${MAX_ROTATE_INTERVAL} ms, got ${rotateInterval}`,
    )
  }
  return { maxBatchSize, rotateInterval }
}
