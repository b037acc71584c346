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
})
