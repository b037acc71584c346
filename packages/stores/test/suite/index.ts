import { describe } from 'vitest'
import { type BackendSuiteOptions, useBackend } from './context.js'
import { labelCases } from './labels.js'
import { spaceBlobCases } from './space-blob.js'
import { ucanCases } from './ucan.js'

export type { BackendSuiteOptions } from './context.js'

/**
 * Every store's cases on one backend. Records are keyed by random digests and CIDs, so backends
 * that keep state between runs (S3 buckets) are safe to reuse.
 */
export function storesSuite(name: string, options: BackendSuiteOptions): void {
  describe(`@strata/stores on ${name}`, () => {
    const ctx = useBackend(options)
    spaceBlobCases(ctx)
    ucanCases(ctx)
    labelCases(ctx)
  })
}
