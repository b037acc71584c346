/**
 * The object-store conformance suite, for strata's backends and yours: call
 * `objectStoreSuite(name, { create, destroy, supports })` in a vitest file. The data helpers
 * below are what the suites of strata's other packages build on.
 * @packageDocumentation
 */
import { afterAll, beforeAll, describe } from 'vitest'
import type { ObjectStore } from '../contract.js'
import { conditionalCases } from './conditional.js'
import { type ObjectStoreCapabilities, SuiteContext } from './context.js'
import { metadataCases } from './metadata.js'
import { rangeCases } from './ranges.js'
import { readWriteCases } from './read-write.js'

export type { ObjectStoreCapabilities } from './context.js'
export * from './data.js'

/** How the suite gets a store to test. */
export interface ObjectStoreSuiteOptions {
  /** Answers an opened store. Called once per suite. */
  create(): Promise<ObjectStore>
  /** Closes and removes what `create` made. */
  destroy?(store: ObjectStore): Promise<void>
  supports?: ObjectStoreCapabilities
}

const MiB = 1024 * 1024

/**
 * The object-store conformance suite: one set of cases every backend must pass, adapted by
 * capability flags. Call it inside a vitest test file. Keys are unique per case, so backends that
 * share state between runs (S3 buckets) are safe.
 */
export function objectStoreSuite(name: string, options: ObjectStoreSuiteOptions): void {
  const ctx = new SuiteContext({
    slashKeys: false,
    boundedMemory: true,
    largeObjectSize: 64 * MiB,
    ...options.supports,
  })
  describe(`ObjectStore conformance: ${name}`, () => {
    beforeAll(async () => {
      ctx.store = await options.create()
    })
    afterAll(async () => {
      await options.destroy?.(ctx.store)
    })
    readWriteCases(ctx)
    rangeCases(ctx)
    metadataCases(ctx)
    conditionalCases(ctx)
  })
}
