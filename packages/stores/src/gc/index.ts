/**
 * `@strata/stores/gc`: mark-and-sweep garbage collection of a blob store, safe against concurrent
 * writers and run by one collector at a time across instances (a lease object taken with a
 * conditional write).
 *
 * ```js
 * import { Condemned, GarbageCollector, Lease, ReferenceGuard } from '@strata/stores/gc'
 * const condemned = new Condemned({ backend: state })            // state: an opened ObjectStore
 * const guard = new ReferenceGuard({ blobs, cars, condemned })   // writers confirm their references
 * const gc = new GarbageCollector({
 *   blobs, cars, labels, owners, acceptances, allocations, guard, condemned,
 *   lease: new Lease({ backend: state }),
 *   graceMs: 3_600_000,
 * })
 * const { scanned, live, deleted, bytesFreed, young } = await gc.gc({ dryRun: true })
 * ```
 * @packageDocumentation
 */
export type { IOOptions } from '@strata/objectstore'
export {
  ContentCollectingError,
  ContentNotFoundError,
  GcLeaseHeldError,
  GcLeaseLostError,
} from '../errors.js'
export { GarbageCollector, type GarbageCollectorOptions, type GcOptions, type GcResult } from './collector.js'
export { Condemned, type CondemnedOptions } from './condemned.js'
export { keyOf, ReferenceGuard, type ReferenceGuardOptions } from './guard.js'
export { type HeldLease, Lease, type LeaseOptions } from './lease.js'
export { type MarkSources, type Marks, mark } from './mark.js'
