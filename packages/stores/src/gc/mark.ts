import type { CarStore } from '@strata/car'
import type { IOOptions } from '@strata/objectstore'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { Acceptances } from '../acceptance/index.js'
import type { Labels } from '../label/store.js'
import type { OwnerStore } from '../owner/store.js'
import { keyOf, type ReferenceGuard } from './guard.js'

/** Where references come from: everything the mark reads. */
export interface MarkSources {
  cars: CarStore
  labels: Labels
  owners: OwnerStore
  guard: ReferenceGuard
  acceptances?: Acceptances | undefined
}

/** What a mark found. */
export interface Marks {
  /** The blobs something references (keys from `keyOf`). */
  live: Set<string>
  /** Every imported CAR (key → its index blob's digest). */
  cars: Map<string, MultihashDigest>
}

/**
 * Marks every blob something references: each acceptance (from the keys alone), each owner
 * membership (owners being wiped included), each label (through what its ref resolves to: see
 * `ReferenceGuard.supporting`; a label being moved, through its previous ref too); then, for every
 * imported CAR, a live CAR keeps its index blob and a live index blob keeps its CAR. Allocations are
 * not read here: they are many and short-lived, so the collector asks only about the blobs nothing
 * else keeps. Memory: one short string per live blob.
 */
export async function mark(sources: MarkSources, options: IOOptions = {}): Promise<Marks> {
  const live = new Set<string>()
  const add = (digest: MultihashDigest) => live.add(keyOf(digest))
  if (sources.acceptances) for await (const { digest } of sources.acceptances.keys(options)) add(digest)
  for await (const digest of sources.owners.members(options)) add(digest)
  for await (const label of sources.labels.entries('', options)) {
    for (const digest of await sources.guard.supporting(label.ref, options)) add(digest)
    if (label.previous === undefined) continue
    for (const digest of await sources.guard.supporting(label.previous, options)) add(digest)
  }
  const cars = new Map<string, MultihashDigest>()
  for await (const record of sources.cars.cars(options)) {
    const car = keyOf(record.digest)
    const index = keyOf(record.index.multihash)
    cars.set(car, record.index.multihash)
    if (live.has(car)) live.add(index)
    else if (live.has(index)) live.add(car)
  }
  return { live, cars }
}
