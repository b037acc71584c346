/**
 * Every error class of the strata server, each with a stable `name`. The HTTP status of each name
 * (and of the packages' errors) is in the one table of `http/error-response.ts`.
 * @packageDocumentation
 */

/**
 * An error the HTTP layer raises itself, with its status, public `name`, message and extra headers,
 * e.g. `new HttpError(400, 'BadRequest', 'missing content-length')`; answered as is.
 */
export class HttpError extends Error {
  override readonly name: string
  /** The HTTP status to answer. */
  readonly status: number
  /** Headers added to the error response (e.g. `Content-Range` on a 416). */
  readonly headers: Readonly<Record<string, string>>

  constructor(
    status: number,
    name: string,
    message: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = name
    this.status = status
    this.headers = options.headers ?? {}
  }
}

/** A `400 BadRequest` {@link HttpError} for the app's own validation of requests. */
export function badRequest(message: string, options: { cause?: unknown } = {}): HttpError {
  return new HttpError(400, 'BadRequest', message, options)
}

/**
 * The configuration cannot be used. `issues` holds one line per bad key, `<dotted.path>: <message>`
 * (`storage.s3.endpoint: expected a URL`), or `<file>: <message>` for a file that cannot be read
 * or parsed. The `message` lists them all; print it and exit with code 2, never a stack trace.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  /** One human-readable line per problem. */
  readonly issues: string[]

  /** @param issues one line per problem (at least one). */
  constructor(issues: string[], options?: ErrorOptions) {
    super(`invalid configuration:\n${issues.map((issue) => `  ${issue}`).join('\n')}`, options)
    this.issues = issues
  }
}

/**
 * Some resources failed to close. `errors` holds each failure (its `cause` is the resource's own
 * error); the other resources were closed anyway.
 */
export class ShutdownError extends AggregateError {
  override readonly name = 'ShutdownError'
}

/**
 * Opening a resource failed; the ones opened before it were closed again (in reverse order).
 * `cause` is the resource's error; `closeErrors` those of the rollback, if any.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError'
  /** The resource that failed to open. */
  readonly resource: string
  /** Failures while closing the resources opened before it. */
  readonly closeErrors: Error[]

  /** @param cause the resource's error; @param closeErrors failures of the rollback. */
  constructor(resource: string, cause: unknown, closeErrors: Error[] = []) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(`cannot open ${resource}: ${reason}`, { cause })
    this.resource = resource
    this.closeErrors = closeErrors
  }
}

/** A failure the CLI reports as `strata: <message>` (no stack trace) and exits with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError'
  /** The process exit code (1 runtime/HTTP failure, 2 usage or configuration). */
  readonly exitCode: number
  /** Extra lines printed after the message (e.g. one per configuration issue). */
  readonly details: readonly string[]

  constructor(message: string, exitCode = 1, details: readonly string[] = []) {
    super(message)
    this.exitCode = exitCode
    this.details = details
  }
}

/**
 * The server has no room for the request now: file descriptors ran out (`EMFILE`/`ENFILE`), or
 * the uploads in flight hold `server.maxInflightUploadBytes`. Answered `503` with `Retry-After`.
 */
export class OverloadedError extends Error {
  override readonly name = 'OverloadedError'
  /** What ran out: `file descriptors` or `upload budget`. */
  readonly resource: string

  constructor(resource: string, options?: ErrorOptions) {
    super(`the server is out of ${resource}; retry later`, options)
    this.resource = resource
  }
}

/**
 * Another upload of the same digest was still being written after this one waited its turn
 * (half of `server.idleTimeoutMs`). Answered `409` with `Retry-After`; the body was not read.
 */
export class UploadInProgressError extends Error {
  override readonly name = 'UploadInProgressError'

  constructor(options?: ErrorOptions) {
    super('another upload of this blob is in progress; retry later', options)
  }
}

/**
 * A file or directory the server trusts (the data dir, `auth-token`, `wallet/`) is owned by another
 * user or writable by group or others, so another local user could have replaced what it holds.
 * The server refuses to start (the CLI exits 2 with {@link UnsafeDataDirError.message}).
 */
export class UnsafeDataDirError extends Error {
  override readonly name = 'UnsafeDataDirError'
  /** The file or directory at fault. */
  readonly path: string

  constructor(path: string, problem: string) {
    super(`refusing to start: ${path} ${problem}`)
    this.path = path
  }
}

/**
 * `<dataDir>/wallet` holds no node identity while the data dir holds a previous node's data: a new
 * identity would silently invalidate the old one's presigned URLs and signatures. Set
 * `storage.allowNewIdentity` to start anyway (the CLI exits 2 with the message).
 */
export class IdentityMissingError extends Error {
  override readonly name = 'IdentityMissingError'

  constructor(wallet: string) {
    super(
      `refusing to start: ${wallet} holds no node identity but the data directory holds a previous node's data; restore the wallet, or set storage.allowNewIdentity (STRATA_STORAGE_ALLOW_NEW_IDENTITY=true) to generate a new identity`,
    )
  }
}
