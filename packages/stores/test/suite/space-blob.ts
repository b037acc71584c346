import * as dagCbor from '@ipld/dag-cbor'
import { type Acceptance, AcceptanceStore } from '@strata/stores/acceptance'
import { type Allocation, AllocationStore } from '@strata/stores/allocation'
import type { DID } from '@ucanto/interface'
import { base58btc } from 'multiformats/bases/base58'
import { describe, expect, it } from 'vitest'
import { principals, randomCid, randomDigest } from '../fixtures.js'
import { keysUnder, readObject, type SuiteContext, writeObject } from './context.js'

/** Allocation and acceptance cases, run on the suite's backend. */
export function spaceBlobCases(ctx: SuiteContext): void {
  const options = () => ({ backend: ctx.backend(), keySuffix: ctx.keySuffix })
  const spaces = async () => {
    const { space, node, client } = await principals()
    return [space.did(), node.did(), client.did()] as DID[]
  }
  const allocation = async (overrides: Partial<Allocation> = {}): Promise<Allocation> => ({
    space: (await spaces())[0] as DID,
    blob: { digest: await randomDigest(), size: 1024 },
    expires: 2_000_000_000,
    cause: await randomCid(),
    ...overrides,
  })

  describe('AllocationStore', () => {
    it('round-trips an allocation under {digest}/{did}', async () => {
      const store = new AllocationStore(options())
      const value = await allocation()
      await store.put(value)
      const got = await store.get(value.blob.digest, value.space)
      expect(got.space).toBe(value.space)
      expect(got.blob.digest.bytes).toEqual(value.blob.digest.bytes)
      expect(got.blob.size).toBe(1024)
      expect(got.expires).toBe(2_000_000_000)
      expect(got.cause.toString()).toBe(value.cause.toString())
      const digest = base58btc.encode(value.blob.digest.bytes)
      expect(await keysUnder(ctx.backend(), `${digest}/`)).toEqual([
        `${digest}/${value.space}${ctx.keySuffix}`,
      ])
    })

    it('throws NotFoundError for a missing allocation, by space or for any space', async () => {
      const store = new AllocationStore(options())
      const value = await allocation()
      await expect(store.get(value.blob.digest, value.space)).rejects.toMatchObject({ name: 'NotFoundError' })
      await expect(store.getAny(value.blob.digest)).rejects.toMatchObject({ name: 'NotFoundError' })
      await expect(store.getAnyNonExpired(value.blob.digest, 0)).rejects.toMatchObject({
        name: 'NotFoundError',
      })
      expect(await store.has(value.blob.digest)).toBe(false)
      await store.put(value)
      const [, other] = await spaces()
      await expect(store.get(value.blob.digest, other as DID)).rejects.toMatchObject({
        name: 'NotFoundError',
      })
    })

    it('keeps one allocation per space and answers any of them', async () => {
      const store = new AllocationStore(options())
      const digest = await randomDigest()
      const all = await spaces()
      for (const space of all) await store.put(await allocation({ space, blob: { digest, size: 7 } }))
      expect(all).toContain((await store.getAny(digest)).space)
      expect(await store.has(digest)).toBe(true)
      const listed: string[] = []
      for await (const value of store.list(digest)) listed.push(value.space)
      expect(listed.sort()).toEqual([...all].sort())
      // Another digest sees none of them.
      expect(await store.has(await randomDigest())).toBe(false)
    })

    it('replaces an allocation put again for the same blob and space', async () => {
      const store = new AllocationStore(options())
      const first = await allocation()
      await store.put(first)
      await store.put({ ...first, expires: 5 })
      expect((await store.get(first.blob.digest, first.space)).expires).toBe(5)
    })

    it('getAnyNonExpired answers only allocations with expires > now (strictly)', async () => {
      const store = new AllocationStore(options())
      const digest = await randomDigest()
      const [a, b] = await spaces()
      await store.put(await allocation({ space: a as DID, blob: { digest, size: 1 }, expires: 1000 }))
      await expect(store.getAnyNonExpired(digest, 1000)).rejects.toMatchObject({ name: 'NotFoundError' })
      expect((await store.getAnyNonExpired(digest, 999)).expires).toBe(1000)
      await store.put(await allocation({ space: b as DID, blob: { digest, size: 1 }, expires: 3000 }))
      const live = await store.getAnyNonExpired(digest, 1000)
      expect(live.space).toBe(b)
      // Default `now` is the current time: both are long expired.
      await expect(store.getAnyNonExpired(digest)).rejects.toMatchObject({ name: 'NotFoundError' })
    })

    it('refuses to store a malformed allocation with EncodeError', async () => {
      const store = new AllocationStore(options())
      const bad = [
        { blob: { digest: await randomDigest(), size: -1 } },
        { expires: 1.5 },
        { space: 'not-a-did' as DID },
        { cause: 'bafy' as unknown as Allocation['cause'] },
      ]
      for (const overrides of bad) {
        await expect(store.put(await allocation(overrides))).rejects.toMatchObject({ name: 'EncodeError' })
      }
    })

    it('throws DecodeError for a stored record of the wrong shape', async () => {
      const store = new AllocationStore(options())
      const value = await allocation()
      const key = `${base58btc.encode(value.blob.digest.bytes)}/${value.space}${ctx.keySuffix}`
      await writeObject(ctx.backend(), key, dagCbor.encode({ space: value.space, blob: {}, expires: 1 }))
      await expect(store.get(value.blob.digest, value.space)).rejects.toMatchObject({
        name: 'DecodeError',
        cause: expect.objectContaining({ name: 'TypeError' }),
      })
    })
  })

  describe('AcceptanceStore', () => {
    const acceptance = async (overrides: Partial<Acceptance> = {}): Promise<Acceptance> => {
      const { space } = await principals()
      return {
        space: space.did(),
        blob: { digest: await randomDigest(), size: 2048 },
        executedAt: 1_700_000_000,
        cause: await randomCid(),
        ...overrides,
      }
    }

    it('round-trips an acceptance without pdpAccept (absent, not undefined)', async () => {
      const store = new AcceptanceStore(options())
      const value = await acceptance()
      await store.put(value)
      const got = await store.get(value.blob.digest, value.space)
      expect('pdpAccept' in got).toBe(false)
      expect(got.executedAt).toBe(1_700_000_000)
      expect(got.blob.size).toBe(2048)
      expect(got.cause.toString()).toBe(value.cause.toString())
      expect((await store.getAny(value.blob.digest)).space).toBe(value.space)
      expect(await store.has(value.blob.digest)).toBe(true)
    })

    it('answers every key as { digest, space }, every record, and deletes one record', async () => {
      // all() reads every record of its store: each store in a namespace of its own here
      const allocations = new AllocationStore({ ...options(), namespace: `alloc-${Date.now()}` })
      const acceptances = new AcceptanceStore({ ...options(), namespace: `accept-${Date.now()}` })
      const [first, second] = await spaces()
      const shared = await randomDigest()
      for (const space of [first, second] as DID[]) {
        await allocations.put(await allocation({ space, blob: { digest: shared, size: 7 } }))
        await acceptances.put(await acceptance({ space, blob: { digest: shared, size: 7 } }))
      }
      const z = base58btc.encode(shared.bytes)
      for (const store of [allocations, acceptances]) {
        const keys: string[] = []
        for await (const key of store.keys()) {
          if (base58btc.encode(key.digest.bytes) === z) keys.push(key.space)
        }
        expect(keys.sort()).toEqual([first, second].sort())
        let records = 0
        for await (const record of store.all())
          if (base58btc.encode(record.blob.digest.bytes) === z) records++
        expect(records).toBe(2)
        await store.delete(shared, first as DID)
        await store.delete(shared, first as DID)
        expect((await store.getAny(shared)).space).toBe(second)
      }
    })

    it('round-trips an acceptance with a pdpAccept promise', async () => {
      const store = new AcceptanceStore(options())
      const task = await randomCid()
      const value = await acceptance({ pdpAccept: { 'ucan/await': ['.out.ok', task] } })
      await store.put(value)
      const got = await store.get(value.blob.digest, value.space)
      const [selector, link] = got.pdpAccept?.['ucan/await'] ?? []
      expect(selector).toBe('.out.ok')
      expect(link?.toString()).toBe(task.toString())
    })

    it('throws NotFoundError for a missing acceptance', async () => {
      const store = new AcceptanceStore(options())
      const value = await acceptance()
      await expect(store.get(value.blob.digest, value.space)).rejects.toMatchObject({ name: 'NotFoundError' })
      await expect(store.getAny(value.blob.digest)).rejects.toMatchObject({ name: 'NotFoundError' })
      expect(await store.has(value.blob.digest)).toBe(false)
    })

    it('rejects a negative or fractional executedAt: EncodeError on put, DecodeError on get', async () => {
      const store = new AcceptanceStore(options())
      const value = await acceptance()
      for (const executedAt of [-1, 0.5]) {
        await expect(store.put({ ...value, executedAt })).rejects.toMatchObject({ name: 'EncodeError' })
      }
      await store.put(value)
      const key = `${base58btc.encode(value.blob.digest.bytes)}/${value.space}${ctx.keySuffix}`
      const stored = dagCbor.decode<Record<string, unknown>>(await readObject(ctx.backend(), key))
      await writeObject(ctx.backend(), key, dagCbor.encode({ ...stored, executedAt: -5 }))
      await expect(store.get(value.blob.digest, value.space)).rejects.toMatchObject({ name: 'DecodeError' })
    })
  })
}
