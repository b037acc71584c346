export { Blobstore, type BlobstoreOptions } from './blobstore.js'
export type {
  BlobGetOptions,
  BlobPutOptions,
  BlobResult,
  BlobStore,
  Body,
  ByteRange,
  IOOptions,
  KeyEncoder,
  MultihashDigest,
  PutResult,
} from './contract.js'
export * from './errors.js'
export { HASH_FUNCTIONS, type HashFunction, verifiable } from './hashes.js'
export { Base32KeyEncoder, FlatfsKeyEncoder, PlainKeyEncoder } from './key-encoders.js'
