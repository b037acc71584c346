/**
 * `@strata/stores/content`: content with labels, as Theater's store offers it, every label write
 * checked against garbage collection.
 *
 * ```js
 * import { ContentStore } from '@strata/stores/content'
 * const content = new ContentStore({ blobs, labels, guard, owners })
 * const { ref } = await content.storeAtLabel('actor/123/state', bytes)
 * await content.replaceContentAtLabel('actor/123/state', next)
 * await content.removeFromLabel('actor/123/state', ref)     // only while it still points there
 * const same = await content.resolve('store:actor/123/state') // or 'store:hash:<CID or multihash>'
 * ```
 * @packageDocumentation
 */
export type { IOOptions } from '@strata/objectstore'
export {
  ContentCollectingError,
  ContentNotFoundError,
  InvalidDidError,
  InvalidLabelNameError,
  InvalidRefError,
  InvalidUriError,
  LabelConflictError,
  LabelNotFoundError,
} from '../errors.js'
export type { ContentRef, Label, LabelPage } from '../label/index.js'
export {
  ContentStore,
  type ContentStoreOptions,
  type LabelWriteOptions,
  type StoredAtLabel,
} from './store.js'
