/**
 * RFC 9110 conditional requests (§13) for immutable, content-addressed blobs. A blob's only
 * validator is its strong ETag (`"z<digest>"`); no `Last-Modified` is sent, so date-based
 * conditions (`If-Modified-Since`, `If-Unmodified-Since`, an HTTP-date in `If-Range`) have nothing to
 * be compared with and are not evaluated as true.
 */

/** An entity tag from a request header: its opaque quoted value and whether it was `W/`. */
export interface EntityTag {
  weak: boolean
  /** The quoted opaque tag, quotes included: `"zQm…"`. */
  opaque: string
}

/** Entity tags in a list header, or `*`. Members that are not entity tags are skipped. */
export function parseEntityTags(header: string): '*' | EntityTag[] {
  if (header.trim() === '*') return '*'
  const tags: EntityTag[] = []
  for (const match of header.matchAll(/(W\/)?("[^"]*")/g)) {
    const opaque = match[2]
    if (opaque !== undefined) tags.push({ weak: match[1] !== undefined, opaque })
  }
  return tags
}

/**
 * Whether `If-None-Match` holds a tag matching `etag` by WEAK comparison (`W/"x"` matches `"x"`), or
 * is `*` (the blob exists). A match means the client's copy is current: GET/HEAD answer 304.
 */
export function ifNoneMatchMatches(header: string, etag: string): boolean {
  const tags = parseEntityTags(header)
  return tags === '*' || tags.some((tag) => tag.opaque === etag)
}

/**
 * Whether `If-Match` is satisfied: `*` (the blob exists), or a tag matching `etag` by STRONG
 * comparison (a `W/` tag never matches). When it is not, the answer is 412.
 */
export function ifMatchHolds(header: string, etag: string): boolean {
  const tags = parseEntityTags(header)
  return tags === '*' || tags.some((tag) => !tag.weak && tag.opaque === etag)
}

/**
 * Whether a `Range` header may be honoured given `If-Range` (RFC 9110 §13.1.5): yes when there is
 * no `If-Range`, or when it is exactly our strong ETag (content under a digest never changes, so an
 * ETag match means the ranges apply). A weak tag, another tag or an HTTP-date (we send no
 * `Last-Modified` it could equal) means "send the whole blob": 200, Range ignored.
 */
export function ifRangeHolds(header: string | null, etag: string): boolean {
  if (header === null) return true
  return header.trim() === etag
}
