/** Stored bytes under `key` could not be decoded by `codec`; the codec's error is the `cause`. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError'
  readonly key: string
  readonly codec: string

  constructor(key: string, codec: string, options?: { cause?: unknown }) {
    super(`cannot decode the record under ${JSON.stringify(key)} with the ${codec} codec`, options)
    this.key = key
    this.codec = codec
  }
}

/** A value to be stored under `key` could not be encoded by `codec`; the codec's error is the `cause`. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError'
  readonly key: string
  readonly codec: string

  constructor(key: string, codec: string, options?: { cause?: unknown }) {
    super(`cannot encode the record for ${JSON.stringify(key)} with the ${codec} codec`, options)
    this.key = key
    this.codec = codec
  }
}

/** A namespace is not usable: it must be non-empty and contain no `/`. */
export class InvalidNamespaceError extends Error {
  override readonly name = 'InvalidNamespaceError'
  readonly namespace: string

  constructor(namespace: string) {
    super(`invalid namespace ${JSON.stringify(namespace)}: it must be non-empty and contain no "/"`)
    this.namespace = namespace
  }
}
