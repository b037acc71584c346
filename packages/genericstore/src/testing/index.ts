import type { ObjectStore } from '@strata/objectstore'
import { randomKey, utf8 } from '@strata/objectstore/testing'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dagCborCodec } from '../codecs/dag-cbor.js'
import { jsonCodec } from '../codecs/json.js'
import { GenericStore } from '../store.js'

/** How the suite gets a backend to build stores on. */
export interface GenericStoreSuiteOptions {
  /** Answers an opened object store; called once per suite. */
  createBackend(): Promise<ObjectStore>
  /** Closes and removes what `createBackend` made. */
  destroy?(backend: ObjectStore): Promise<void>
}

interface Allocation {
  space: string
  size: number
  cause: CID
}

const cid = CID.parse('bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')

/**
 * The GenericStore conformance suite, run against a backend (Piri's cases plus ours). Every case
 * uses its own namespace, so backends shared between runs are safe.
 */
export function genericStoreSuite(name: string, options: GenericStoreSuiteOptions): void {
  describe(`GenericStore conformance: ${name}`, () => {
    let backend: ObjectStore
    beforeAll(async () => {
      backend = await options.createBackend()
    })
    afterAll(async () => {
      await options.destroy?.(backend)
    })

    const cborStore = (namespace = randomKey('ns')) =>
      new GenericStore<Allocation>({ backend, codec: dagCborCodec(), namespace })
    const value = (size: number): Allocation => ({ space: 'did:key:z6Mkexample', size, cause: cid })

    it('round-trips DAG-CBOR records, CIDs included', async () => {
      const store = cborStore()
      await store.put('zQmdigest/did:key:z6Mkexample', value(42))
      const read = await store.get('zQmdigest/did:key:z6Mkexample')
      expect(read).toEqual(value(42))
      expect(read.cause.equals(cid)).toBe(true)
    })

    it('round-trips JSON records', async () => {
      const store = new GenericStore<{ n: number; s: string }>({
        backend,
        codec: jsonCodec(),
        namespace: randomKey(),
      })
      await store.put('k', { n: 1, s: 'ü' })
      expect(await store.get('k')).toEqual({ n: 1, s: 'ü' })
    })

    it('answers NotFoundError naming the key without the namespace', async () => {
      await expect(cborStore().get('missing')).rejects.toMatchObject({
        name: 'NotFoundError',
        key: 'missing',
      })
    })

    it('deletes, then get is NotFoundError and has is false', async () => {
      const store = cborStore()
      await store.put('k', value(1))
      expect(await store.has('k')).toBe(true)
      await store.delete('k')
      expect(await store.has('k')).toBe(false)
      await expect(store.get('k')).rejects.toMatchObject({ name: 'NotFoundError' })
      await store.delete('k')
    })

    it('overwrites a record', async () => {
      const store = cborStore()
      await store.put('k', value(1))
      await store.put('k', value(2))
      expect((await store.get('k')).size).toBe(2)
    })

    it('keeps namespaces apart, even when one is a prefix of the other', async () => {
      const base = randomKey('ns')
      const a = cborStore(base)
      const ab = cborStore(`${base}b`)
      await a.put('k', value(1))
      await ab.put('k', value(2))
      expect((await a.get('k')).size).toBe(1)
      expect((await ab.get('k')).size).toBe(2)
      expect((await collect(a.list())).map((v) => v.size)).toEqual([1])
      await a.delete('k')
      expect(await ab.has('k')).toBe(true)
    })

    it('lists values and entries by raw key prefix, and answers hasPrefix', async () => {
      const store = cborStore()
      await store.put('zQa/did:1', value(1))
      await store.put('zQa/did:2', value(2))
      await store.put('zQab/did:3', value(3))
      await store.put('zQb/did:4', value(4))
      const sizes = async (prefix: string) => (await collect(store.list(prefix))).map((v) => v.size).sort()
      expect(await sizes('zQa/')).toEqual([1, 2])
      expect(await sizes('zQa')).toEqual([1, 2, 3])
      expect(await sizes('')).toEqual([1, 2, 3, 4])
      const keys = (await collect(store.entries('zQa/'))).map((e) => e.key).sort()
      expect(keys).toEqual(['zQa/did:1', 'zQa/did:2'])
      expect((await collect(store.keys('zQa'))).sort()).toEqual(['zQa/did:1', 'zQa/did:2', 'zQab/did:3'])
      expect(await store.hasPrefix('zQab')).toBe(true)
      expect(await store.hasPrefix('zQc')).toBe(false)
    })

    it('skips keys deleted between listing and reading', async () => {
      const namespace = randomKey('ns')
      const store = cborStore(namespace)
      await store.put('a1', value(1))
      await store.put('a2', value(2))
      // A backend whose listing still names a key that is gone by the time it is read.
      const racing: ObjectStore = {
        open: () => backend.open(),
        close: () => backend.close(),
        put: (...args) => backend.put(...args),
        get: (...args) => backend.get(...args),
        stat: (...args) => backend.stat(...args),
        has: (...args) => backend.has(...args),
        delete: (...args) => backend.delete(...args),
        move: (...args) => backend.move(...args),
        list: async function* (prefix) {
          yield `${namespace}/a0-deleted`
          yield* backend.list(prefix)
        },
      }
      const racingStore = new GenericStore<Allocation>({ backend: racing, codec: dagCborCodec(), namespace })
      expect((await collect(racingStore.list('a'))).map((v) => v.size).sort()).toEqual([1, 2])
    })

    it('getAny answers a match for the predicate, or NotFoundError', async () => {
      const store = cborStore()
      await store.put('zQd/did:1', value(10))
      await store.put('zQd/did:2', value(20))
      expect((await store.getAny('zQd/', (v) => v.size > 15)).size).toBe(20)
      expect([10, 20]).toContain((await store.getAny('zQd/')).size)
      await expect(store.getAny('zQd/', (v) => v.size > 99)).rejects.toMatchObject({
        name: 'NotFoundError',
        key: 'zQd/',
      })
      await expect(store.getAny('zQnone/')).rejects.toMatchObject({ name: 'NotFoundError' })
    })

    it('names the key and codec when stored bytes do not decode', async () => {
      const namespace = randomKey('ns')
      await backend.put(`${namespace}/bad`, 3, utf8('{{{'))
      const cbor = cborStore(namespace)
      await expect(cbor.get('bad')).rejects.toMatchObject({
        name: 'DecodeError',
        key: 'bad',
        codec: 'dag-cbor',
      })
      const json = new GenericStore({ backend, codec: jsonCodec(), namespace })
      await expect(json.get('bad')).rejects.toMatchObject({ name: 'DecodeError', key: 'bad', codec: 'json' })
      await expect(collect(json.list())).rejects.toMatchObject({ name: 'DecodeError' })
    })

    it('rejects what a validating codec refuses, as a DecodeError', async () => {
      const namespace = randomKey('ns')
      const positive = dagCborCodec<number>((v) => {
        if (typeof v !== 'number' || v < 0) throw new TypeError('expected a non-negative number')
        return v
      })
      const store = new GenericStore<number>({ backend, codec: positive, namespace })
      await store.put('ok', 5)
      expect(await store.get('ok')).toBe(5)
      await new GenericStore<number>({ backend, codec: dagCborCodec(), namespace }).put('neg', -1)
      await expect(store.get('neg')).rejects.toMatchObject({ name: 'DecodeError', key: 'neg' })
    })

    it('reports a value the codec cannot encode as EncodeError and stores nothing', async () => {
      const store = new GenericStore<unknown>({ backend, codec: dagCborCodec(), namespace: randomKey('ns') })
      await expect(store.put('u', { bad: undefined })).rejects.toMatchObject({
        name: 'EncodeError',
        key: 'u',
      })
      expect(await store.has('u')).toBe(false)
    })

    it('refuses a record larger than maxRecordSize', async () => {
      const namespace = randomKey('ns')
      const small = new GenericStore<string>({ backend, codec: jsonCodec(), namespace, maxRecordSize: 8 })
      await new GenericStore<string>({ backend, codec: jsonCodec(), namespace }).put('big', 'x'.repeat(20))
      await expect(small.get('big')).rejects.toMatchObject({ name: 'TooLargeError', expected: 8 })
    })
  })
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}
