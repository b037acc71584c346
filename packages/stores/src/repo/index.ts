/**
 * `@strata/stores/repo`: ATProto repos over CARs (Indigo carstore's `RepoStore`, as Coves uses it),
 * the head moved with compare-and-swap.
 *
 * ```js
 * import { RepoStore } from '@strata/stores/repo'
 * const repos = new RepoStore({ cars, labels, owners, guard })
 * const { head } = await repos.importRepo('did:plc:abc', carStream, { since: null })      // first commit
 * await repos.importRepo('did:plc:abc', diffStream, { since: head })                     // RepoBaseMismatchError if moved
 * for await (const chunk of repos.exportRepo('did:plc:abc')) …                           // a CAR of the head's DAG
 * await repos.deleteRepo('did:plc:abc')
 * ```
 * @packageDocumentation
 */
export type { IOOptions } from '@strata/objectstore'
export {
  ContentCollectingError,
  InvalidDidError,
  RepoBaseMismatchError,
  RepoCarError,
  RepoNotFoundError,
} from '../errors.js'
export {
  headLabel,
  type ImportedRepo,
  type ImportRepoOptions,
  type RepoHead,
  RepoStore,
  type RepoStoreOptions,
} from './store.js'
