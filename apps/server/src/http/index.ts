/**
 * The HTTP layer of the strata server: one route module per resource (`routes/`), the one
 * error → status table (`error-response.ts`), the middleware and the protocol helpers (ranges,
 * conditionals, digests in paths, multipart/byteranges, presigned URLs).
 * @packageDocumentation
 */
export * from './error-response.js'
export { bearerAuth } from './middleware/bearer.js'
export { MAX_JSON_BODY_BYTES } from './middleware/json-body.js'
export { createRouter, ErrorSchema } from './openapi.js'
export { ifMatchHolds, ifNoneMatchMatches, ifRangeHolds, parseEntityTags } from './protocol/conditionals.js'
export { parseContentDigest } from './protocol/content-digest.js'
export { etagOf, MAX_DIGEST_TEXT_LENGTH, parseDigest } from './protocol/digest.js'
export { multipartBody, planMultipart } from './protocol/multipart.js'
export {
  checksumOf,
  MAX_CLOCK_SKEW_SECONDS,
  type PresignedRequest,
  type PresignedUpload,
  type PresignUploadInput,
  presignUpload,
  REQUIRED_SIGNED_HEADERS,
  verifyPresigned,
} from './protocol/presign.js'
export {
  contentRange,
  DEFAULT_MAX_RANGES,
  parseRange,
  type RangeRequest,
  singleRange,
} from './protocol/ranges.js'
export { toReadableStream } from './protocol/stream.js'
export { acceptanceRoutes } from './routes/acceptances.js'
export { allocationRoutes } from './routes/allocations.js'
export * from './routes/blobs/index.js'
export * from './routes/blocks/index.js'
export { CAR_CONTENT_TYPE } from './routes/car-answer.js'
export * from './routes/cars/index.js'
export { claimRoutes } from './routes/claims.js'
export type { RouteContext } from './routes/context.js'
export { healthRoutes } from './routes/health.js'
export { MAX_RECEIPT_ARCHIVE_BYTES, receiptRoutes } from './routes/receipts.js'
