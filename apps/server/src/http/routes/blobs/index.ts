/**
 * The blob resource: public reads (`read.ts`, `answer.ts`: no write code) and writes (`write.ts`).
 * @packageDocumentation
 */
export {
  type AnswerOptions,
  answerBlobRead,
  BLOB_CACHE_CONTROL,
  BLOB_CONTENT_TYPE,
  type BlobAnswer,
  type BlobReadRequest,
} from './answer.js'
export { type BlobReadRoutesOptions, blobReadRoutes, DigestParam, toResponse } from './read.js'
export { BLOB_READ_ROUTE, type BlobSocketReadsOptions, blobSocketReads } from './socket-read.js'
export { blobWriteRoutes, MAX_DISCARDED_BODY } from './write.js'
