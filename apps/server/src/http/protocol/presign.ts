import { timingSafeEqual } from 'node:crypto'
import { HttpRequest } from '@smithy/protocol-http'
import type { SignatureV4 } from '@smithy/signature-v4'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { HttpError } from '../../errors.js'
import { PRESIGN_REGION, PRESIGN_SERVICE, type PresignCredentials } from '../../identity/index.js'

/** The headers every presigned upload must sign (more may be signed). */
export const REQUIRED_SIGNED_HEADERS = ['host', 'content-length', 'x-amz-checksum-sha256'] as const
/** Seconds a presign date may lie in the future of the server's clock. */
export const MAX_CLOCK_SKEW_SECONDS = 300
/** SigV4's longest presign lifetime: 7 days. */
const MAX_EXPIRES = 604_800
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
const PAYLOAD_HEADER = 'x-amz-content-sha256'
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/

/** An upload the node presigns: a PUT of `size` bytes hashing to `digest` (sha2-256). */
export interface PresignUploadInput {
  /** Where to PUT, e.g. `http://127.0.0.1:3000/blob/zQm…`. */
  url: URL
  /** The blob's declared size, signed as `content-length`. */
  size: number
  /** The base64 sha2-256 digest, signed as `x-amz-checksum-sha256`. */
  checksum: string
  /** Signing time. */
  signingDate: Date
  /** Lifetime in seconds (1 … 604800). */
  expiresIn: number
  /**
   * The space the upload is allocated in, signed into the URL as `x-strata-space` so the upload can
   * look its allocation up directly (one read instead of a listing).
   */
  space?: string
}

/** The query parameter naming the allocation's space in the URLs this node presigns. */
export const SPACE_PARAMETER = 'x-strata-space'

/** A presigned upload: the URL and the headers the client must send verbatim. */
export interface PresignedUpload {
  url: string
  headers: { 'content-length': string; 'x-amz-checksum-sha256': string }
}

/** The base64 of a multihash's digest bytes: the value of `x-amz-checksum-sha256`. */
export function checksumOf(digest: MultihashDigest): string {
  return Buffer.from(digest.digest).toString('base64')
}

/** RFC 3986 query escaping, as SigV4 canonicalises it. */
function escapeQuery(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/**
 * Presigns a PUT as any S3 presigner would: `UNSIGNED-PAYLOAD`, signed headers `content-length;host;
 * x-amz-checksum-sha256` (kept as headers, not hoisted into the query).
 */
export async function presignUpload(
  signer: SignatureV4,
  input: PresignUploadInput,
): Promise<PresignedUpload> {
  const headers = { 'content-length': String(input.size), 'x-amz-checksum-sha256': input.checksum }
  const request = new HttpRequest({
    method: 'PUT',
    protocol: input.url.protocol,
    hostname: input.url.hostname,
    ...(input.url.port === '' ? {} : { port: Number(input.url.port) }),
    path: input.url.pathname,
    ...(input.space === undefined ? {} : { query: { [SPACE_PARAMETER]: input.space } }),
    headers: { host: input.url.host, ...headers, [PAYLOAD_HEADER]: UNSIGNED_PAYLOAD },
  })
  const signed = await signer.presign(request, {
    signingDate: input.signingDate,
    expiresIn: input.expiresIn,
    unsignableHeaders: new Set([PAYLOAD_HEADER]),
    unhoistableHeaders: new Set([PAYLOAD_HEADER, 'x-amz-checksum-sha256']),
  })
  const query = Object.entries(signed.query ?? {})
    .map(([key, value]) => `${escapeQuery(key)}=${escapeQuery(String(value ?? ''))}`)
    .join('&')
  return { url: `${input.url.origin}${input.url.pathname}?${query}`, headers }
}

/** What {@link verifyPresigned} checks: the request as received. */
export interface PresignedRequest {
  method: string
  /** The request URL (its path and query are signed). */
  url: URL
  /** The request headers. */
  headers: Headers
  /** Current time in milliseconds. */
  now: number
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'Unauthorized', message)
}

function param(query: URLSearchParams, name: string): string {
  const value = query.get(name)
  if (value === null || value === '') throw unauthorized(`not a presigned URL: ${name} missing`)
  return value
}

/**
 * Checks a presigned request: SigV4 query parameters present, credential scope ours
 * (`<accessKeyId>/<date>/us-east-1/s3/aws4_request`), `X-Amz-Date` − 5 min ≤ now < date + expires,
 * the required headers signed and sent, and the signature equal (constant time) to the one
 * `signer.presign` computes from the request's own method, path, query and signed header values.
 * The host signed is the request's `Host` header (a proxy must keep it).
 * @throws {HttpError} `401 Unauthorized` for any failure, naming it.
 */
export async function verifyPresigned(
  signer: SignatureV4,
  credentials: PresignCredentials,
  request: PresignedRequest,
): Promise<void> {
  const query = request.url.searchParams
  if (param(query, 'X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    throw unauthorized('unsupported X-Amz-Algorithm')
  const credential = param(query, 'X-Amz-Credential').split('/')
  const amzDate = param(query, 'X-Amz-Date')
  const expiresText = param(query, 'X-Amz-Expires')
  const signedHeaders = param(query, 'X-Amz-SignedHeaders').split(';')
  const signature = param(query, 'X-Amz-Signature')

  const date = AMZ_DATE.exec(amzDate)
  if (date === null) throw unauthorized('malformed X-Amz-Date')
  const [, y, mo, d, h, mi, s] = date
  const signingDate = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`)
  const expires = /^\d{1,6}$/.test(expiresText) ? Number(expiresText) : Number.NaN
  if (Number.isNaN(signingDate.getTime()) || !(expires >= 1 && expires <= MAX_EXPIRES)) {
    throw unauthorized('malformed X-Amz-Date or X-Amz-Expires')
  }
  const scope = [
    credentials.accessKeyId,
    amzDate.slice(0, 8),
    PRESIGN_REGION,
    PRESIGN_SERVICE,
    'aws4_request',
  ]
  if (credential.length !== scope.length || credential.some((part, i) => part !== scope[i])) {
    throw unauthorized('X-Amz-Credential is not this node’s')
  }
  if (request.now < signingDate.getTime() - MAX_CLOCK_SKEW_SECONDS * 1000) {
    throw unauthorized('presigned URL dated in the future')
  }
  if (request.now >= signingDate.getTime() + expires * 1000) throw unauthorized('presigned URL expired')

  const headers: Record<string, string> = {}
  for (const name of signedHeaders) {
    const value =
      name === 'host' ? (request.headers.get('host') ?? request.url.host) : request.headers.get(name)
    if (value === null) throw unauthorized(`signed header ${name} not sent`)
    headers[name] = value
  }
  for (const name of REQUIRED_SIGNED_HEADERS) {
    if (headers[name] === undefined) throw unauthorized(`presigned URL does not sign ${name}`)
  }
  const unsignable = new Set<string>()
  if (headers[PAYLOAD_HEADER] === undefined) {
    headers[PAYLOAD_HEADER] = UNSIGNED_PAYLOAD
    unsignable.add(PAYLOAD_HEADER)
  }
  const rest: Record<string, string | string[]> = {}
  for (const key of new Set(query.keys())) {
    if (key === 'X-Amz-Signature') continue
    const values = query.getAll(key)
    rest[key] = values.length === 1 ? (values[0] as string) : values
  }
  const expected = await signer.presign(
    new HttpRequest({
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      path: request.url.pathname,
      query: rest,
      headers,
    }),
    {
      signingDate,
      expiresIn: expires,
      unsignableHeaders: unsignable,
      unhoistableHeaders: new Set(Object.keys(headers)),
    },
  )
  const computed = Buffer.from(String(expected.query?.['X-Amz-Signature'] ?? ''), 'utf8')
  const given = Buffer.from(signature, 'utf8')
  if (computed.length !== given.length || !timingSafeEqual(computed, given)) {
    throw unauthorized('presigned URL signature does not match the request')
  }
}
