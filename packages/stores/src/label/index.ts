/**
 * `@strata/stores/label`: names pointing at content, with compare-and-swap on every backend.
 *
 * ```js
 * import { LabelStore, parseRef } from '@strata/stores/label'
 * const labels = new LabelStore({ backend })                 // an opened ObjectStore (memory, LevelDB, S3)
 * const head = await labels.set('actor/123/head', parseRef('bafy…'), { ifVersion: null }) // create
 * await labels.set('actor/123/head', next, { ifVersion: head.version })  // LabelConflictError if moved
 * const { ref, version, updatedAt } = await labels.get('actor/123/head')
 * const { labels: page, cursor } = await labels.list('actor/')
 * ```
 * @packageDocumentation
 */
export { DecodeError } from '@strata/genericstore'
export type { IOOptions } from '@strata/objectstore'
export {
  InvalidDidError,
  InvalidLabelNameError,
  InvalidRefError,
  LabelConflictError,
  LabelNotFoundError,
} from '../errors.js'
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../internal/paging.js'
export { labelKey, labelNameBytes, labelNameOf, MAX_LABEL_NAME_BYTES } from './names.js'
export { asRef, type ContentRef, formatRef, isCid, parseRef, refDigest, sameRef } from './refs.js'
export {
  type DeleteLabelOptions,
  type Label,
  type LabelPage,
  LabelStore,
  type LabelStoreOptions,
  type Labels,
  type ListLabelsOptions,
  type SetLabelOptions,
} from './store.js'
