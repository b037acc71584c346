import * as dagCbor from '@ipld/dag-cbor'
import { ClaimStore } from '@strata/stores/claim'
import { ConsolidationStore } from '@strata/stores/consolidation'
import { PIRI_S3_RECEIPT_LAYOUT, ReceiptStore } from '@strata/stores/receipt'
import { Delegation } from '@ucanto/core'
import type { Delegation as DelegationView } from '@ucanto/interface'
import { describe, expect, it } from 'vitest'
import { delegationChain, invocation, randomCid, receipt } from '../fixtures.js'
import { keysUnder, readObject, type SuiteContext, writeObject } from './context.js'

/** Delegation, receipt and consolidation cases, run on the suite's backend. */
export function ucanCases(ctx: SuiteContext): void {
  /** Each store gets its own namespace: the suites share one backend (one bucket on S3). */
  const scoped = (namespace: string) => ({ backend: ctx.backend(), namespace })

  const expectSameDelegation = (got: DelegationView, expected: DelegationView) => {
    expect(got.cid.toString()).toBe(expected.cid.toString())
    expect(got.issuer.did()).toBe(expected.issuer.did())
    expect(got.audience.did()).toBe(expected.audience.did())
    expect(got.capabilities).toEqual(expected.capabilities)
  }

  describe('ClaimStore', () => {
    it('round-trips a delegation with its proof chain, keyed by its CID', async () => {
      const store = new ClaimStore(scoped('claims'))
      const delegation = await delegationChain()
      await store.put(delegation)
      expect(await store.has(delegation.cid)).toBe(true)
      const got = await store.get(delegation.cid)
      expectSameDelegation(got, delegation)
      const [proof] = got.proofs
      const [expectedProof] = delegation.proofs
      expect(proof && 'cid' in proof ? proof.cid.toString() : undefined).toBe(
        expectedProof && 'cid' in expectedProof ? expectedProof.cid.toString() : 'missing',
      )
      expect(await keysUnder(ctx.backend(), `claims/${delegation.cid}`)).toEqual([`claims/${delegation.cid}`])
    })

    it('answers the stored archive, which ucanto extracts', async () => {
      const store = new ClaimStore(scoped('claims'))
      const delegation = await delegationChain()
      await store.put(delegation)
      const archive = await store.getArchive(delegation.cid)
      const extracted = await Delegation.extract(archive)
      expect(extracted.ok?.cid.toString()).toBe(delegation.cid.toString())
    })

    it('throws NotFoundError for a missing delegation', async () => {
      const store = new ClaimStore(scoped('claims'))
      const cid = await randomCid()
      await expect(store.get(cid)).rejects.toMatchObject({ name: 'NotFoundError', key: cid.toString() })
      await expect(store.getArchive(cid)).rejects.toMatchObject({ name: 'NotFoundError' })
      expect(await store.has(cid)).toBe(false)
    })

    it('throws DecodeError for bytes that are not an archive, or archive another delegation', async () => {
      const store = new ClaimStore(scoped('claims'))
      const cid = await randomCid()
      await writeObject(ctx.backend(), `claims/${cid}`, new TextEncoder().encode('not a car'))
      await expect(store.get(cid)).rejects.toMatchObject({ name: 'DecodeError', key: cid.toString() })
      const other = await delegationChain()
      const archive = await Delegation.archive(other)
      await writeObject(ctx.backend(), `claims/${cid}`, archive.ok ?? new Uint8Array())
      await expect(store.get(cid)).rejects.toMatchObject({ name: 'DecodeError' })
    })
  })

  describe('ReceiptStore', () => {
    it('round-trips a receipt by its CID and by the CID of the invocation it ran', async () => {
      const store = new ReceiptStore(scoped('rcpt'))
      const issued = await receipt()
      await store.put(issued)
      expect(await store.has(issued.link())).toBe(true)
      for (const got of [await store.get(issued.link()), await store.getByRan(issued.ran.link())]) {
        expect(got.link().toString()).toBe(issued.link().toString())
        expect(got.out).toEqual({ ok: { site: 'done' } })
        expect(got.ran.link().toString()).toBe(issued.ran.link().toString())
        expect(got.issuer?.did()).toBe(issued.issuer?.did())
        expect(got.fx.fork.map((fx) => fx.link().toString())).toEqual(
          issued.fx.fork.map((fx) => fx.link().toString()),
        )
        expect([...got.iterateIPLDBlocks()].length).toBe([...issued.iterateIPLDBlocks()].length)
      }
    })

    it('keeps receipts and the ran index in two namespaces; index values are binary CIDs', async () => {
      const backend = ctx.backend()
      const store = new ReceiptStore({ backend, namespace: 'rcpt', ranIndexNamespace: 'rcpt-ran' })
      const issued = await receipt()
      await store.put(issued)
      const ran = issued.ran.link().toString()
      expect(await keysUnder(backend, `rcpt/${issued.link()}`)).toEqual([`rcpt/${issued.link()}`])
      expect(await keysUnder(backend, `rcpt-ran/${ran}`)).toEqual([`rcpt-ran/${ran}`])
      expect(await readObject(backend, `rcpt-ran/${ran}`)).toEqual(issued.link().bytes)
    })

    it('throws NotFoundError when the ran index has no entry, or its receipt is gone', async () => {
      const backend = ctx.backend()
      const store = new ReceiptStore({ backend, namespace: 'rcpt', ranIndexNamespace: 'rcpt-ran' })
      const ran = await randomCid()
      await expect(store.getByRan(ran)).rejects.toMatchObject({ name: 'NotFoundError', key: ran.toString() })
      const missing = await randomCid()
      await writeObject(backend, `rcpt-ran/${ran}`, missing.bytes)
      await expect(store.getByRan(ran)).rejects.toMatchObject({
        name: 'NotFoundError',
        key: missing.toString(),
      })
      await expect(store.get(missing)).rejects.toMatchObject({ name: 'NotFoundError' })
    })

    it("reads Piri's S3 index layout (<ran>.ref holding the receipt CID as text)", async () => {
      const backend = ctx.backend()
      const writer = new ReceiptStore({ backend, namespace: 'rcpt' })
      const issued = await receipt()
      await writer.put(issued)
      const ran = issued.ran.link().toString()
      await writeObject(
        backend,
        `receipts-ran/${ran}.ref`,
        new TextEncoder().encode(issued.link().toString()),
      )
      const reader = new ReceiptStore({
        backend,
        namespace: 'rcpt',
        ranIndexNamespace: 'receipts-ran',
        ranIndexKeySuffix: '.ref',
      })
      expect((await reader.getByRan(issued.ran.link())).link().toString()).toBe(issued.link().toString())
    })

    it("writes Piri's S3 layout with PIRI_S3_RECEIPT_LAYOUT: <cid> at the root, receipts-ran/<ran>.ref as text", async () => {
      const backend = ctx.backend()
      const store = new ReceiptStore({ backend, ...PIRI_S3_RECEIPT_LAYOUT })
      const issued = await receipt()
      await store.put(issued)
      const [cid, ran] = [issued.link().toString(), issued.ran.link().toString()]
      expect(await keysUnder(backend, cid)).toEqual([cid])
      expect(await keysUnder(backend, `receipts-ran/${ran}`)).toEqual([`receipts-ran/${ran}.ref`])
      expect(new TextDecoder().decode(await readObject(backend, `receipts-ran/${ran}.ref`))).toBe(cid)
      expect((await store.getByRan(issued.ran.link())).link().toString()).toBe(cid)
      expect(await store.has(issued.link())).toBe(true)
    })

    it('throws DecodeError for a corrupt receipt or index entry', async () => {
      const backend = ctx.backend()
      const store = new ReceiptStore({ backend, namespace: 'rcpt', ranIndexNamespace: 'rcpt-ran' })
      const cid = await randomCid()
      await writeObject(backend, `rcpt/${cid}`, new Uint8Array([1, 2, 3]))
      await expect(store.get(cid)).rejects.toMatchObject({ name: 'DecodeError', key: cid.toString() })
      const ran = await randomCid()
      await writeObject(backend, `rcpt-ran/${ran}`, new Uint8Array([0xff, 0xfe]))
      await expect(store.getByRan(ran)).rejects.toMatchObject({ name: 'DecodeError', codec: 'cid' })
      // A valid receipt CAR stored under another receipt's CID.
      const issued = await receipt()
      await store.put(issued)
      await writeObject(backend, `rcpt/${cid}`, await readObject(backend, `rcpt/${issued.link()}`))
      await expect(store.get(cid)).rejects.toMatchObject({ name: 'DecodeError' })
    })

    it('refuses equal namespaces for receipts and the index', () => {
      expect(() => new ReceiptStore({ backend: ctx.backend(), ranIndexNamespace: 'receipts' })).toThrow(
        RangeError,
      )
    })
  })

  describe('ConsolidationStore', () => {
    const options = () => ({ backend: ctx.backend(), keySuffix: ctx.keySuffix, namespace: 'consolidations' })

    it('round-trips a consolidation keyed by the batch CID', async () => {
      const store = new ConsolidationStore(options())
      const batch = await randomCid()
      const trackInvocation = await invocation('space/egress/track')
      const consolidateInvocationCID = (await invocation('space/egress/consolidate')).cid
      await store.put(batch, { trackInvocation, consolidateInvocationCID })
      expect(await store.has(batch)).toBe(true)
      const got = await store.get(batch)
      expectSameDelegation(got.trackInvocation, trackInvocation)
      expect(got.consolidateInvocationCID.toString()).toBe(consolidateInvocationCID.toString())
      const key = `consolidations/${batch}${ctx.keySuffix}`
      expect(await keysUnder(ctx.backend(), `consolidations/${batch}`)).toEqual([key])
      const record = dagCbor.decode<Record<string, unknown>>(await readObject(ctx.backend(), key))
      expect(Object.keys(record).sort()).toEqual(['consolidateInvocationCID', 'trackInvocation'])
    })

    it('deletes idempotently; a missing consolidation is NotFoundError', async () => {
      const store = new ConsolidationStore(options())
      const batch = await randomCid()
      await expect(store.get(batch)).rejects.toMatchObject({ name: 'NotFoundError' })
      await store.put(batch, { trackInvocation: await invocation(), consolidateInvocationCID: batch })
      await store.delete(batch)
      await store.delete(batch)
      expect(await store.has(batch)).toBe(false)
      await expect(store.get(batch)).rejects.toMatchObject({ name: 'NotFoundError' })
    })

    it("reads Piri's legacy track/ + consolidate/ records with readLegacy, and deletes them", async () => {
      const backend = ctx.backend()
      const batch = await randomCid()
      const trackInvocation = await invocation('space/egress/track')
      const consolidateInvocationCID = (await invocation('space/egress/consolidate')).cid
      const archive = await Delegation.archive(trackInvocation)
      await writeObject(backend, `track/${batch}`, archive.ok ?? new Uint8Array())
      const plain = new ConsolidationStore(options())
      const legacy = new ConsolidationStore({ ...options(), readLegacy: true })
      // Half a legacy record (no consolidate/ yet) is not a consolidation, as in Piri.
      expect(await legacy.has(batch)).toBe(false)
      await expect(legacy.get(batch)).rejects.toMatchObject({ name: 'NotFoundError' })
      await writeObject(backend, `consolidate/${batch}`, consolidateInvocationCID.bytes)
      await expect(plain.get(batch)).rejects.toMatchObject({ name: 'NotFoundError' })
      expect(await plain.has(batch)).toBe(false)
      expect(await legacy.has(batch)).toBe(true)
      const got = await legacy.get(batch)
      expectSameDelegation(got.trackInvocation, trackInvocation)
      expect(got.consolidateInvocationCID.toString()).toBe(consolidateInvocationCID.toString())
      // The new format wins over the legacy one; nothing is written in the legacy layout.
      const newer = (await invocation('space/egress/consolidate')).cid
      await legacy.put(batch, { trackInvocation, consolidateInvocationCID: newer })
      expect((await legacy.get(batch)).consolidateInvocationCID.toString()).toBe(newer.toString())
      expect(await readObject(backend, `consolidate/${batch}`)).toEqual(consolidateInvocationCID.bytes)
      await legacy.delete(batch)
      expect(await keysUnder(backend, `track/${batch}`)).toEqual([])
      expect(await keysUnder(backend, `consolidate/${batch}`)).toEqual([])
      expect(await legacy.has(batch)).toBe(false)
    })

    it('throws DecodeError for a corrupt legacy record', async () => {
      const backend = ctx.backend()
      const batch = await randomCid()
      const legacy = new ConsolidationStore({ ...options(), readLegacy: true })
      const archive = await Delegation.archive(await invocation('space/egress/track'))
      await writeObject(backend, `track/${batch}`, archive.ok ?? new Uint8Array())
      await writeObject(backend, `consolidate/${batch}`, new Uint8Array([0xff, 0xfe]))
      await expect(legacy.get(batch)).rejects.toMatchObject({ name: 'DecodeError', codec: 'cid' })
      await writeObject(backend, `track/${batch}`, new Uint8Array([1, 2, 3]))
      await expect(legacy.get(batch)).rejects.toMatchObject({
        name: 'DecodeError',
        codec: 'car/ucan-archive',
      })
    })

    it('throws DecodeError for a record of the wrong shape or a corrupt invocation archive', async () => {
      const store = new ConsolidationStore(options())
      const batch = await randomCid()
      const key = `consolidations/${batch}${ctx.keySuffix}`
      await writeObject(
        ctx.backend(),
        key,
        dagCbor.encode({ trackInvocation: 'x', consolidateInvocationCID: batch }),
      )
      await expect(store.get(batch)).rejects.toMatchObject({ name: 'DecodeError' })
      const corrupt = { trackInvocation: new Uint8Array([1, 2, 3]), consolidateInvocationCID: batch }
      await writeObject(ctx.backend(), key, dagCbor.encode(corrupt))
      await expect(store.get(batch)).rejects.toMatchObject({ name: 'DecodeError', codec: 'car/ucan-archive' })
    })
  })
}
