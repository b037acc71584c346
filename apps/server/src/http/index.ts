/**
 * The HTTP layer of the strata server: routes, the error → status table, and the RFC 9110 helpers
 * they use (digests in paths, Range, conditionals, multipart/byteranges).
 */

export { bearerAuth } from './bearer.js'
export {
  BLOB_CACHE_CONTROL,
  BLOB_CONTENT_TYPE,
  type BlobReadRoutesOptions,
  blobReadRoutes,
} from './blob-routes.js'
export { CAR_CONTENT_TYPE, type CarRoutesOptions, carRoutes } from './car-routes.js'
export {
  type EntityTag,
  ifMatchHolds,
  ifNoneMatchMatches,
  ifRangeHolds,
  parseEntityTags,
} from './conditionals.js'
export { etagOf, MAX_DIGEST_TEXT_LENGTH, parseDigest } from './digest.js'
export {
  badRequest,
  ERROR_STATUS,
  type ErrorBody,
  type ErrorHandlerOptions,
  type ErrorLogger,
  errorHandler,
  errorResponse,
  HttpError,
  routeNotFound,
  statusOf,
  toErrorResponse,
} from './errors.js'
export { type JournalRoutesOptions, journalRoutes, MAX_RECEIPT_ARCHIVE_BYTES } from './journal-routes.js'
export { type MultipartPlan, multipartBody, PART_CONTENT_TYPE, planMultipart } from './multipart.js'
export {
  checksumOf,
  createSigner,
  MAX_CLOCK_SKEW_SECONDS,
  PRESIGN_REGION,
  PRESIGN_SERVICE,
  type PresignedRequest,
  type PresignedUpload,
  type PresignUploadInput,
  presignUpload,
  REQUIRED_SIGNED_HEADERS,
  verifyPresigned,
} from './presign.js'
export {
  contentRange,
  DEFAULT_MAX_RANGES,
  type InclusiveRange,
  lengthOf,
  type ParseRangeOptions,
  parseRange,
  type RangeRequest,
} from './ranges.js'
export { toReadableStream } from './stream.js'
export { type BlobRequest, derivedCause, readBlobRequest } from './write-bodies.js'
export { type WriteRoutesOptions, writeRoutes } from './write-routes.js'
