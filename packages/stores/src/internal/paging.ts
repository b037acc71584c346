/**
 * Pages over listings whose order the backend does not promise (`ObjectStore.list` is unordered):
 * one pass over the keys keeps the `limit` smallest after the cursor, in a sorted array of at most
 * `limit + 1` keys (memory bounded by the page, time n·log(limit) for n keys listed).
 * @packageDocumentation
 */

/** The default page size of the stores' `list` calls. */
export const DEFAULT_PAGE_SIZE = 1000
/** The largest page a `list` call answers. */
export const MAX_PAGE_SIZE = 10_000

/** The smallest keys greater than `after`, at most `limit` of them, and whether more follow. */
export class PageSelection {
  readonly #limit: number
  readonly #after: string | undefined
  readonly #keys: string[] = []
  #more = false

  /** @throws {RangeError} `limit` is not an integer from 1 to {@link MAX_PAGE_SIZE}. */
  constructor(limit: number, after: string | undefined) {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${limit}`)
    }
    this.#limit = limit
    this.#after = after
  }

  /** Considers one listed key. */
  offer(key: string): void {
    if (this.#after !== undefined && key <= this.#after) return
    const keys = this.#keys
    if (keys.length === this.#limit) {
      if (key >= (keys[keys.length - 1] as string)) {
        this.#more = true
        return
      }
      keys.pop()
      this.#more = true
    }
    let low = 0
    let high = keys.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if ((keys[middle] as string) < key) low = middle + 1
      else high = middle
    }
    if (keys[low] !== key) keys.splice(low, 0, key)
  }

  /** The selected keys, ascending. */
  get keys(): readonly string[] {
    return this.#keys
  }

  /** Whether keys past the selection were seen (so a next page exists). */
  get more(): boolean {
    return this.#more
  }
}
