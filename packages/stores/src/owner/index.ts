/**
 * `@strata/stores/owner`: owners (DIDs) and the blobs and labels they hold, with a wipe that is
 * all-or-nothing from the outside (it rolls forward).
 *
 * ```js
 * import { OwnerStore } from '@strata/stores/owner'
 * const owners = new OwnerStore({ backend, labels, acceptances, allocations }) // opened stores
 * await owners.add('did:plc:abc', { digest, size })
 * const { blobs, bytes, labels } = await owners.stat('did:plc:abc')
 * const { blobs: page, cursor } = await owners.list('did:plc:abc')
 * await owners.wipe('did:plc:abc')   // labels, acceptances, allocations, memberships
 * ```
 * @packageDocumentation
 */
export type { IOOptions } from '@strata/objectstore'
export { ContentCollectingError, ContentNotFoundError, InvalidDidError } from '../errors.js'
export { checkDid, MAX_DID_LENGTH } from '../internal/did.js'
export {
  type OwnedBlob,
  type OwnedPage,
  type OwnerStat,
  OwnerStore,
  type OwnerStoreOptions,
  type ReferenceCheck,
  type WipeResult,
} from './store.js'
