export { assertKey, assertSize, chunks, collect, exactly, MAX_KEY_BYTES, single } from './body.js'
export type { Body, GetOptions, IOOptions, ObjectResult, ObjectStore, PutOptions } from './contract.js'
export * from './errors.js'
export { type ResolvedRange, resolveRange } from './range.js'
