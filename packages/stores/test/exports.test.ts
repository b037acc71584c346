import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAsPlainNode } from '@strata/testkit'
import { describe, expect, it } from 'vitest'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')

// A user's plain Node ESM script, outside the monorepo's tooling, importing the built package.
const script = `
import { AllocationStore, NotFoundError } from '@strata/stores/allocation'
import { AcceptanceStore } from '@strata/stores/acceptance'
import { ClaimStore } from '@strata/stores/claim'
import { ReceiptStore } from '@strata/stores/receipt'
import { ConsolidationStore } from '@strata/stores/consolidation'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { delegate, invoke, Receipt } from '@ucanto/core'
import { ed25519 } from '@ucanto/principal'
import { sha256 } from 'multiformats/hashes/sha2'

const backend = new MemoryObjectStore()
const signer = await ed25519.generate()
const digest = await sha256.digest(new TextEncoder().encode('hello'))
const invocation = await invoke({ issuer: signer, audience: signer, capability: { can: 'blob/allocate', with: signer.did() } }).delegate()

const allocations = new AllocationStore({ backend })
await allocations.put({ space: signer.did(), blob: { digest, size: 5 }, expires: 4102444800, cause: invocation.cid })
const allocation = await allocations.getAnyNonExpired(digest)

const claims = new ClaimStore({ backend, namespace: 'claims' })
const delegation = await delegate({ issuer: signer, audience: signer, capabilities: [{ can: 'blob/allocate', with: signer.did() }] })
await claims.put(delegation)

const receipts = new ReceiptStore({ backend })
await receipts.put(await Receipt.issue({ issuer: signer, ran: invocation, result: { ok: {} } }))

const missing = await new AcceptanceStore({ backend, namespace: 'acceptances' }).getAny(digest).catch((e) => e instanceof NotFoundError)
const consolidations = new ConsolidationStore({ backend, namespace: 'consolidations' })
await consolidations.put(invocation.cid, { trackInvocation: invocation, consolidateInvocationCID: invocation.cid })

console.log(JSON.stringify({
  size: allocation.blob.size,
  claim: (await claims.get(delegation.cid)).cid.toString() === delegation.cid.toString(),
  receipt: JSON.stringify((await receipts.getByRan(invocation.cid)).out),
  missing,
  consolidation: (await consolidations.get(invocation.cid)).trackInvocation.cid.toString() === invocation.cid.toString(),
}))
console.log(import.meta.resolve('@strata/stores/allocation'))
`

describe('package exports', () => {
  it('are importable from a plain Node ESM script', async () => {
    const stdout = await runAsPlainNode({
      name: '@strata/stores',
      packageDir,
      alongside: ['@strata/objectstore', '@ucanto/core', '@ucanto/principal', 'multiformats'],
      script,
    })
    const [result, resolved] = stdout.trim().split('\n')
    expect(JSON.parse(result ?? '')).toEqual({
      size: 5,
      claim: true,
      receipt: '{"ok":{}}',
      missing: true,
      consolidation: true,
    })
    expect(resolved).toMatch(/stores\/dist\/allocation\/index\.js$/)
  })

  it('include labels, owners, content, gc and repos, working over memory from plain Node', async () => {
    const stdout = await runAsPlainNode({
      name: '@strata/stores',
      packageDir,
      alongside: ['@strata/objectstore', '@strata/blobstore', '@strata/car', 'multiformats'],
      script: `
import { VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { MemoryBlockIndex } from '@strata/car/memory'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { ContentStore } from '@strata/stores/content'
import { Condemned, GarbageCollector, Lease, ReferenceGuard } from '@strata/stores/gc'
import { LabelStore, formatRef } from '@strata/stores/label'
import { OwnerStore } from '@strata/stores/owner'
import { RepoStore } from '@strata/stores/repo'

const records = new MemoryObjectStore()
const blobs = new VerifiedBlobStore({ backend: new MemoryObjectStore() })
const cars = new CarStore({ blobs, index: new MemoryBlockIndex(), records })
const labels = new LabelStore({ backend: records, namespace: 'labels' })
const condemned = new Condemned({ backend: records })
const guard = new ReferenceGuard({ blobs, cars, condemned })
const owners = new OwnerStore({ backend: records, namespace: 'owners', labels, guard })
const content = new ContentStore({ blobs, labels, guard, owners })
new RepoStore({ cars, labels, owners, guard })
const gc = new GarbageCollector({ blobs, cars, labels, owners, guard, condemned, lease: new Lease({ backend: records }), graceMs: 0 })
const { ref } = await content.storeAtLabel('actor/123/head', new TextEncoder().encode('state'), { owner: 'did:plc:abc' })
await blobs.add(new TextEncoder().encode('garbage'))
const result = await gc.gc()
console.log(JSON.stringify({
  resolved: formatRef(await content.resolve('store:actor/123/head')) === formatRef(ref),
  owner: await owners.stat('did:plc:abc'),
  deleted: result.deleted,
}))
`,
    })
    expect(JSON.parse(stdout.trim())).toEqual({
      resolved: true,
      owner: { did: 'did:plc:abc', blobs: 1, bytes: 5, labels: 1 },
      deleted: 1,
    })
  })
})
