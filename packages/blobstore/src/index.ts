/**
 * Content-addressed blobs over any strata object store, verified while they stream:
 *
 * ```ts
 * import { VerifiedBlobStore } from '@strata/blobstore'
 * const blobs = new VerifiedBlobStore({ backend }) // any opened ObjectStore
 * await blobs.put(digest, size, body)               // refused with DigestMismatchError, nothing stored
 * const { digest, created } = await blobs.add(body) // content whose digest you don't know
 * ```
 * @packageDocumentation
 */
export type {
  AddResult,
  BlobAddOptions,
  BlobGetOptions,
  BlobPutOptions,
  BlobResult,
  BlobStat,
  BlobStore,
  Body,
  ByteRange,
  IOOptions,
  KeyEncoder,
  MultihashDigest,
  PutResult,
  ResolvedRange,
} from './contract.js'
export * from './errors.js'
export { HASH_FUNCTIONS, type HashFunction, verifiable } from './hashes.js'
export { Base32KeyEncoder, FlatfsKeyEncoder, PlainKeyEncoder } from './key-encoders.js'
export { STAGING_PREFIX } from './staging.js'
export { type StagingSweep, VerifiedBlobStore, type VerifiedBlobStoreOptions } from './verified-blob-store.js'
