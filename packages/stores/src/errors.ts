/**
 * The errors of the label, owner, repo and garbage-collection stores. Each has a stable `name`
 * (safe to switch on across package copies), structured fields and the underlying error as
 * `cause`. The HTTP layer maps them by name: invalid input 400, not found 404, lease held 409,
 * compare-and-swap failures 412, missing content 422, content being collected 503.
 * @packageDocumentation
 */

/** Options accepted by every error constructor here. */
export interface StoresErrorOptions {
  /** The lower-level error this one wraps. */
  cause?: unknown
}

/** A label name is not 1–512 bytes of well-formed UTF-8 without control characters. */
export class InvalidLabelNameError extends Error {
  override readonly name = 'InvalidLabelNameError'
  /** The name as given (shown truncated in the message). */
  readonly label: string
  /** What is wrong with it, e.g. `contains the control character U+0000`. */
  readonly reason: string

  constructor(label: string, reason: string, options?: StoresErrorOptions) {
    const shown = label.length > 80 ? `${label.slice(0, 80)}…` : label
    super(`invalid label name ${JSON.stringify(shown)}: ${reason}`, options)
    this.label = label
    this.reason = reason
  }
}

/** No label has this name (or it was deleted). */
export class LabelNotFoundError extends Error {
  override readonly name = 'LabelNotFoundError'
  readonly label: string

  constructor(label: string, options?: StoresErrorOptions) {
    super(`label ${JSON.stringify(label)} not found`, options)
    this.label = label
  }
}

/**
 * A label's compare-and-swap failed: it is not at the version the caller expected. Nothing was
 * written. `current` is the version it is at (`null`: it does not exist), for the caller's retry.
 */
export class LabelConflictError extends Error {
  override readonly name = 'LabelConflictError'
  readonly label: string
  /** The version the caller expected; `null`: expected the label not to exist. */
  readonly expected: string | null
  /** The label's version now; `null`: it does not exist. */
  readonly current: string | null

  constructor(label: string, expected: string | null, current: string | null, options?: StoresErrorOptions) {
    const what = (version: string | null) => (version === null ? 'absent' : `at version ${version}`)
    super(`label ${JSON.stringify(label)} is ${what(current)}, expected ${what(expected)}`, options)
    this.label = label
    this.expected = expected
    this.current = current
  }
}

/** Text that is not a content reference (a CID, or a multibase multihash). */
export class InvalidRefError extends Error {
  override readonly name = 'InvalidRefError'
  readonly text: string
  readonly reason: string

  constructor(text: string, reason: string, options?: StoresErrorOptions) {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
    super(`invalid content reference ${JSON.stringify(shown)}: ${reason}`, options)
    this.text = text
    this.reason = reason
  }
}

/** A `store:` URI that `resolve` does not understand. */
export class InvalidUriError extends Error {
  override readonly name = 'InvalidUriError'
  readonly uri: string

  constructor(uri: string, reason: string, options?: StoresErrorOptions) {
    const shown = uri.length > 80 ? `${uri.slice(0, 80)}…` : uri
    super(`invalid store URI ${JSON.stringify(shown)}: ${reason}`, options)
    this.uri = uri
  }
}

/** Text that is not a DID (`did:<method>:<id>`, without `/`, `?`, `#` or spaces). */
export class InvalidDidError extends Error {
  override readonly name = 'InvalidDidError'
  readonly did: string

  constructor(did: string, options?: StoresErrorOptions) {
    const shown = did.length > 80 ? `${did.slice(0, 80)}…` : did
    super(`not a DID: ${JSON.stringify(shown)}`, options)
    this.did = did
  }
}

/** A reference was to be written to content that is not stored. Nothing was written. */
export class ContentNotFoundError extends Error {
  override readonly name = 'ContentNotFoundError'
  /** The reference, as text (`bafy…`, `zQm…`). */
  readonly ref: string

  constructor(ref: string, options?: StoresErrorOptions) {
    super(`content ${ref} is not stored`, options)
    this.ref = ref
  }
}

/**
 * A reference was to be written to content that garbage collection is deleting at this moment (it
 * was unreferenced and older than the grace period). The reference was not written; store the
 * content again and retry.
 */
export class ContentCollectingError extends Error {
  override readonly name = 'ContentCollectingError'
  /** The blob being collected, base58btc (`zQm…`). */
  readonly digest: string

  constructor(digest: string, options?: StoresErrorOptions) {
    super(`blob ${digest} is being garbage-collected; store it again and retry`, options)
    this.digest = digest
  }
}

/**
 * A repo import's `since` is not the repo's head: the head did not move and nothing names the
 * imported CAR (garbage collection reclaims it after the grace period).
 */
export class RepoBaseMismatchError extends Error {
  override readonly name = 'RepoBaseMismatchError'
  readonly did: string
  /** The head the caller based the import on; `null`: expected no repo. */
  readonly expected: string | null
  /** The head now; `null`: no repo. */
  readonly current: string | null

  constructor(did: string, expected: string | null, current: string | null, options?: StoresErrorOptions) {
    const what = (head: string | null) => (head === null ? 'no repo' : head)
    super(`repo ${did} is at ${what(current)}, not at ${what(expected)}`, options)
    this.did = did
    this.expected = expected
    this.current = current
  }
}

/** No repo is stored for this DID. */
export class RepoNotFoundError extends Error {
  override readonly name = 'RepoNotFoundError'
  readonly did: string

  constructor(did: string, options?: StoresErrorOptions) {
    super(`no repo for ${did}`, options)
    this.did = did
  }
}

/** A CAR cannot be a repo commit: it must have exactly one root, stored in the CAR or before it. */
export class RepoCarError extends Error {
  override readonly name = 'RepoCarError'
  readonly did: string
  readonly reason: string

  constructor(did: string, reason: string, options?: StoresErrorOptions) {
    super(`not a repo commit CAR for ${did}: ${reason}`, options)
    this.did = did
    this.reason = reason
  }
}

/** Another collector holds the garbage-collection lease (one collector at a time across instances). */
export class GcLeaseHeldError extends Error {
  override readonly name = 'GcLeaseHeldError'
  /** The holder's id (random per collector run). */
  readonly holder: string
  /** When the lease lapses unless renewed. */
  readonly expiresAt: Date

  constructor(holder: string, expiresAt: Date, options?: StoresErrorOptions) {
    super(
      `garbage collection is running elsewhere (lease ${holder} until ${expiresAt.toISOString()})`,
      options,
    )
    this.holder = holder
    this.expiresAt = expiresAt
  }
}

/**
 * A collector lost its lease (it could not renew it in time, or another collector took it over after
 * it lapsed): the run stopped before deleting anything more.
 */
export class GcLeaseLostError extends Error {
  override readonly name = 'GcLeaseLostError'
  readonly holder: string

  constructor(holder: string, options?: StoresErrorOptions) {
    super(`garbage collection lease ${holder} lost; the run stopped`, options)
    this.holder = holder
  }
}
