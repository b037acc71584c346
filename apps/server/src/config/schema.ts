/**
 * The one zod schema of strata's server configuration and its inferred {@link Config} type.
 *
 * Every leaf carries its own human message (`expected an integer from 0 to 65535`, `expected a URL`,
 * `expected one of memory, filesystem, s3`), used for every way a value can be wrong, so a bad key
 * always yields exactly one line. Objects are strict: unknown keys are errors.
 * @packageDocumentation
 */
import { z } from 'zod'
import { LAYOUTS, STORAGE_LAYOUTS } from '../data-dir.js'

/** The storage backends `storage.backend` accepts. */
export const STORAGE_BACKENDS = ['memory', 'filesystem', 's3'] as const

/** A storage backend name. */
export type StorageBackend = (typeof STORAGE_BACKENDS)[number]

/** The log levels `log.level` accepts (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Piri's default per-blob size limit: 4,261,412,864 bytes (127 × 32 MiB). */
export const DEFAULT_MAX_BLOB_SIZE = 4_261_412_864

/**
 * The S3 bucket suffixes, one bucket per store: `{bucketPrefix}{suffix}`. `cars` holds the CAR
 * records and root entries, `blocks` the block index (one small object per block location),
 * `labels` the labels, `owners` the owners' memberships, owned labels and wipe markers, `gc` the
 * collector's lease and condemned marks.
 */
export const BUCKET_SUFFIXES = [
  'blobs',
  'allocations',
  'acceptances',
  'claims',
  'receipts',
  'consolidations',
  'cars',
  'blocks',
  'labels',
  'owners',
  'gc',
] as const

const LONGEST_SUFFIX = Math.max(
  ...Object.values(LAYOUTS).flatMap((layout) => Object.values(layout.buckets).map((suffix) => suffix.length)),
)

/** The longest `storage.s3.bucketPrefix`, so every bucket name stays within S3's 63 characters. */
export const MAX_BUCKET_PREFIX_LENGTH = 63 - LONGEST_SUFFIX

const oneOf = (values: readonly string[]) => `expected one of ${values.join(', ')}`

/** An integer leaf from `min` to `max` (inclusive), with one message for every kind of failure. */
function integer(min: number, max: number) {
  const error = `expected an integer from ${min} to ${max}`
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error })
}

function text(what = 'a non-empty string') {
  const error = `expected ${what}`
  return z.string({ error }).min(1, { error })
}

function flag() {
  return z.boolean({ error: 'expected true or false' })
}

/** An http(s) URL with nothing after the host and port (S3 clients take no path prefix). */
function baseUrl(allowPath: boolean) {
  const error = 'expected a URL'
  const url = z.url({ protocol: /^https?$/, error })
  if (allowPath) return url
  return url.refine((value) => /^[a-z]+:\/\/[^/?#]+\/?$/i.test(value), {
    error: 'expected a URL without a path, query or fragment (e.g. http://127.0.0.1:9000)',
  })
}

const originsError =
  'expected origins (scheme://host[:port], e.g. https://app.example) as a list or comma-separated, or *'
const origin = z
  .string({ error: originsError })
  .regex(/^(\*|https?:\/\/[^/?#\s,*]+)$/i, { error: originsError })

/** CORS: public reads are open to every origin; writes only to `writeOrigins`. */
const corsSchema = z.strictObject({
  /**
   * Origins whose pages may write (PUT/POST/DELETE) from a browser; `*` any. Default none: a write
   * carrying another `Origin` is refused (403), as its preflight. Public reads are always open.
   */
  writeOrigins: z
    .union(
      [
        z.array(origin, { error: originsError }),
        z
          .string({ error: originsError })
          .transform((text) =>
            text
              .split(',')
              .map((item) => item.trim())
              .filter((item) => item.length > 0),
          )
          .pipe(z.array(origin, { error: originsError })),
      ],
      { error: originsError },
    )
    .default([]),
})

const serverSchema = z.strictObject({
  /** Interface to listen on. */
  host: text('a host name or IP address').default('127.0.0.1'),
  /** TCP port; 0 picks a free one. */
  port: integer(0, 65_535).default(3000),
  /** Public base URL used in presigned URLs and `Location` headers (default: from host and port). */
  publicUrl: baseUrl(true).optional(),
  /** Largest blob accepted, in bytes. */
  maxBlobSize: integer(1, Number.MAX_SAFE_INTEGER).default(DEFAULT_MAX_BLOB_SIZE),
  /**
   * A connection silent this long (nothing received or sent) is closed, and the request on it
   * aborted (an upload stored nothing). A request may take as long as it keeps moving: a 4 GiB
   * upload at 1 MiB/s is fine. Uploads of a digest another upload is writing wait at most half of it.
   */
  idleTimeoutMs: integer(1000, 3_600_000).default(60_000),
  /**
   * The time allowed to send a request's headers, in milliseconds (a slow-header client is cut
   * after it). The body is limited only by {@link idleTimeoutMs}.
   */
  headersTimeoutMs: integer(1000, 3_600_000).default(10_000),
  /**
   * The most bytes of response chunks held in memory by all blob downloads together, until each
   * chunk's socket takes it (64 KiB a chunk): what bounds the memory of many slow readers. A
   * download waits for room rather than grow it. Default 64 MiB.
   */
  maxResponseBufferBytes: integer(1024 * 1024, Number.MAX_SAFE_INTEGER).default(64 * 1024 * 1024),
  /**
   * A download whose client has not taken its last chunk (64 KiB) for this long is cut (its
   * connection reset), in milliseconds. Default 30 s.
   */
  sendTimeoutMs: integer(1000, 3_600_000).default(30_000),
  /**
   * The same, while other downloads wait for `maxResponseBufferBytes`: stalled readers cannot hold
   * the budget and starve everyone else for a whole `sendTimeoutMs`. At most `sendTimeoutMs`.
   * Default 5 s.
   */
  pressuredSendTimeoutMs: integer(1000, 3_600_000).default(5_000),
  /**
   * The most connections served at once; more are answered `503` and closed. Default: derived from
   * the process's open-file limit at start, `(limit - 128) / 2` (each connection may hold a file or
   * a backend socket besides its own), at least 16.
   */
  maxConnections: integer(1, 1_000_000).optional(),
  /**
   * The most connections one client address (an IPv6 /64) may hold; more are answered `503` and
   * closed, while other addresses are still served. Default 256, at most a quarter of
   * `maxConnections`. Behind a proxy every client shares the proxy's address: raise it.
   */
  maxConnectionsPerAddress: integer(1, 1_000_000).optional(),
  /**
   * The most bytes, by declared size, that uploads in flight may claim at once (over all
   * digests). An upload past it answers `503` with `Retry-After`. Default 64 GiB.
   */
  maxInflightUploadBytes: integer(1, Number.MAX_SAFE_INTEGER).default(64 * 1024 ** 3),
  /**
   * Free space kept on the blob store's disk (filesystem backend): an allocation or upload that
   * would leave less answers `507`. Default 1 GiB.
   */
  diskReserveBytes: integer(0, Number.MAX_SAFE_INTEGER).default(1024 ** 3),
  /**
   * Most parts of a multi-range answer after merging; a request for more gets `200` with the whole
   * blob (RFC 9110 allows ignoring `Range`). Each part costs a backend read. Default 16.
   */
  maxRanges: integer(1, 1024).default(16),
  /**
   * A port of its own for `GET /metrics` (then not served on the main port). Absent: `/metrics` is
   * served on the main port.
   */
  metricsPort: integer(0, 65_535).optional(),
  /** The interface of {@link metricsPort} (default: `server.host`). */
  metricsHost: text('a host name or IP address').optional(),
  /** Lifetime of the presigned upload URLs handed out, in seconds (SigV4 allows up to 7 days). */
  presignExpiresIn: integer(1, 604_800).default(900),
  /**
   * Bearer token for the mutating routes (POST/DELETE). Absent: the container generates one at
   * first start and keeps it in `<dataDir>/auth-token` (memory backend: per process, logged).
   */
  authToken: text('a token of at least 16 characters')
    .min(16, { error: 'expected a token of at least 16 characters' })
    .optional(),
  cors: corsSchema.prefault({}),
})

const logSchema = z.strictObject({
  level: z.enum(LOG_LEVELS, { error: oneOf(LOG_LEVELS) }).default('info'),
})

const bucketPrefixError = `expected lowercase letters, digits, '-' or '.', starting with a letter or digit, at most ${MAX_BUCKET_PREFIX_LENGTH} characters`

const s3Schema = z.strictObject({
  /** The S3 endpoint, e.g. `http://127.0.0.1:9000` or `https://s3.us-east-1.amazonaws.com`. */
  endpoint: baseUrl(false).optional(),
  region: text().default('us-east-1'),
  accessKey: text().optional(),
  secretKey: text().optional(),
  /** Prepended to each store's bucket name: `{bucketPrefix}blobs`, `{bucketPrefix}allocations`, … (see {@link BUCKET_SUFFIXES}) */
  bucketPrefix: z
    .string({ error: bucketPrefixError })
    .regex(/^[a-z0-9][a-z0-9.-]*$/, { error: bucketPrefixError })
    .max(MAX_BUCKET_PREFIX_LENGTH, { error: bucketPrefixError })
    .default('strata-'),
  /** Path-style requests (`http://host/bucket/key`), as MinIO and Ceph expect. */
  pathStyle: flag().default(true),
  /** The longest the S3 server may stay silent during a request, in milliseconds. */
  requestTimeoutMs: integer(1, 3_600_000).default(30_000),
  /**
   * The most upload body bytes the blobs store buffers at once over all uploads (at least 16 MiB,
   * two 8 MiB parts). Uploads wait (FIFO) for room instead of growing memory.
   */
  maxBufferedBytes: integer(16 * 1024 * 1024, Number.MAX_SAFE_INTEGER).default(64 * 1024 * 1024),
  /**
   * At start, abort the incomplete multipart uploads begun more than this many milliseconds ago:
   * what a strata process killed mid-upload leaves behind (invisible, but S3 keeps their parts).
   * Default 24 h, longer than any live upload; `0` aborts every one found (single instance only:
   * it would cut off another instance's uploads in progress).
   */
  abortIncompleteUploadsAfterMs: integer(0, Number.MAX_SAFE_INTEGER).default(24 * 60 * 60 * 1000),
})

const storageSchema = z.strictObject({
  backend: z.enum(STORAGE_BACKENDS, { error: oneOf(STORAGE_BACKENDS) }).default('filesystem'),
  /**
   * Where each store lives on disk and in S3: `strata` (`<dataDir>/blobs`, buckets
   * `{prefix}blobs` …) or `piri`, a Piri v0.2.4 data directory or bucket set
   * (`<dataDir>/pdp/datastore`, buckets `{prefix}pdp` …; needs `identity.keyFile`).
   */
  layout: z.enum(STORAGE_LAYOUTS, { error: oneOf(STORAGE_LAYOUTS) }).default('strata'),
  /** Root of the on-disk stores; relative paths are resolved against the working directory. */
  dataDir: text('a directory path').default('./data'),
  /** fsync flatfs writes and journal appends (slower; survives power loss). */
  fsync: flag().default(false),
  /**
   * Allow generating a new node identity when `<dataDir>/wallet` holds none although the data dir
   * holds a previous node's data (blobs, records, journal). Off: such a start is refused (exit 2),
   * since a new identity silently invalidates every presigned URL and signature of the old one.
   */
  allowNewIdentity: flag().default(false),
  s3: s3Schema.prefault({}),
})

const journalSchema = z.strictObject({
  /** Rotate the retrieval journal's batch once it holds this many bytes (default 100 MiB). */
  maxBatchSize: integer(1, Number.MAX_SAFE_INTEGER).default(100 * 1024 * 1024),
  /** Also rotate every this many milliseconds (default 12 h; 0 = off). */
  rotateInterval: integer(0, 2 ** 31 - 1).default(12 * 60 * 60 * 1000),
})

const identitySchema = z.strictObject({
  /**
   * A PEM file holding the node's Ed25519 private key (PKCS#8 `BEGIN PRIVATE KEY`, as `piri
   * identity generate` and `strata identity generate` write it): the node's DID, signer and presign
   * credentials come from it instead of the wallet. Mode 0600 (or 0400), owned by the server's user.
   */
  keyFile: text('a file path').optional(),
})

const gcSchema = z.strictObject({
  /**
   * Unreferenced blobs younger than this are never collected, in ms. Default 1 h: longer than any
   * upload or CAR import in flight (on S3 a multipart upload's time is its start: keep it longer
   * than the slowest upload).
   */
  graceMs: integer(0, Number.MAX_SAFE_INTEGER).default(60 * 60 * 1000),
  /** Collect every this many ms; 0 (default): only on `POST /gc` or `strata gc`. */
  intervalMs: integer(0, 2 ** 31 - 1).default(0),
  /** Size-target mode: collect only while the blobs hold more than this many bytes; 0 (default): always. */
  targetBytes: integer(0, Number.MAX_SAFE_INTEGER).default(0),
  /**
   * The collector's lease, in ms: one collector at a time across instances; a crashed collector's
   * lease lapses after this long. Renewed every third of it. Default 60 s.
   */
  leaseMs: integer(3000, 3_600_000).default(60_000),
})

/** The keys `storage.s3` must set when `storage.backend` is `s3`. */
export const REQUIRED_S3_KEYS = ['endpoint', 'accessKey', 'secretKey'] as const

/**
 * The configuration schema. Parse with `configSchema.safeParse(input)`: missing keys take their
 * defaults; `storage.s3.endpoint`, `accessKey` and `secretKey` are required only when
 * `storage.backend` is `s3` (one issue per missing key).
 */
export const configSchema = z
  .strictObject({
    server: serverSchema.prefault({}),
    log: logSchema.prefault({}),
    storage: storageSchema.prefault({}),
    identity: identitySchema.prefault({}),
    journal: journalSchema.prefault({}),
    gc: gcSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const { maxInflightUploadBytes, maxBlobSize } = config.server
    // only between valid values (zod runs this refinement even when a key failed)
    if (Number.isSafeInteger(maxBlobSize) && maxBlobSize >= 1 && maxInflightUploadBytes < maxBlobSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'maxInflightUploadBytes'],
        message: 'expected at least server.maxBlobSize (else the largest blob can never be uploaded)',
      })
    }
    if (config.storage.layout === 'piri') {
      if (config.storage.backend === 'memory') {
        ctx.addIssue({
          code: 'custom',
          path: ['storage', 'layout'],
          message: 'piri needs storage.backend filesystem or s3 (memory has no layout)',
        })
      }
      if (config.identity.keyFile === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['identity', 'keyFile'],
          message: "required when storage.layout is piri (a Piri node's identity is its key file)",
        })
      }
    }
    if (config.storage.backend !== 's3') return
    for (const key of REQUIRED_S3_KEYS) {
      if (config.storage.s3[key] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['storage', 's3', key],
          message: 'required when storage.backend is s3',
        })
      }
    }
  })

/** The validated configuration, defaults filled in (what `loadConfig` answers). */
export type Config = z.output<typeof configSchema>

/** What a config file or `configSchema.parse` accepts: every key optional. */
export type ConfigInput = z.input<typeof configSchema>

/** The S3 settings once validated for `backend: 's3'`: the required keys are present. */
export type S3Config = Config['storage']['s3'] & {
  [K in (typeof REQUIRED_S3_KEYS)[number]]-?: string
}
