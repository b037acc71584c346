import { randomBytes } from 'node:crypto'
import { Agent } from 'node:http'
import type { ByteRange } from '@strata/objectstore'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { chunked, objectStoreSuite, randomKey, readAll, utf8 } from '@strata/objectstore/testing'
import {
  createTestBucket,
  describeS3,
  incompleteUploads,
  s3TestClient,
  type TestBucket,
} from '@strata/testkit'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

const MiB = 1024 * 1024

describeS3('MinioObjectStore on the S3 test server', (settings) => {
  let suiteBucket: TestBucket
  objectStoreSuite('minio (Ceph RGW)', {
    create: async () => {
      suiteBucket = await createTestBucket(settings, 'suite')
      const store = new MinioObjectStore({ client: suiteBucket.client, bucket: suiteBucket.name })
      await store.open()
      return store
    },
    destroy: async (store) => {
      await store.close()
      await suiteBucket.destroy()
    },
    supports: { slashKeys: true },
  })

  describe('MinioObjectStore specifics', () => {
    // A client of its own, so that its sockets can be counted.
    const agent = new Agent({ keepAlive: true })
    const client = s3TestClient(settings, { transportAgent: agent })
    let bucket: TestBucket
    let store: MinioObjectStore
    beforeAll(async () => {
      bucket = await createTestBucket(settings, 'specifics', client)
      store = new MinioObjectStore({ client, bucket: bucket.name, partSize: 5 * MiB })
      await store.open()
    })
    afterAll(async () => {
      await bucket.destroy()
      agent.destroy()
    })

    const content = async (key: string, range?: ByteRange) =>
      Buffer.from(await readAll((await store.get(key, range ? { range } : {})).body))
    const socketsInUse = () => Object.values(agent.sockets).flat().length
    const expectNoUpload = async (key: string) =>
      expect(await incompleteUploads(client, bucket.name, key)).toEqual([])

    describe('open()', () => {
      it('creates a missing bucket, and opens an existing one, also when instances race', async () => {
        const name = `${bucket.name}-new`
        const stores = Array.from({ length: 4 }, () => new MinioObjectStore({ client, bucket: name }))
        try {
          await Promise.all(stores.map((each) => each.open()))
          expect(await client.bucketExists(name)).toBe(true)
          await new MinioObjectStore({ client, bucket: name }).open()
        } finally {
          await client.removeBucket(name).catch(() => {})
        }
      })

      it('accepts 409 BucketAlreadyOwnedByYou (MinIO, AWS) as success', async () => {
        const other = s3TestClient(settings)
        vi.spyOn(other, 'bucketExists').mockResolvedValue(false)
        const owned = Object.assign(new Error('owned'), { code: 'BucketAlreadyOwnedByYou' })
        vi.spyOn(other, 'makeBucket').mockRejectedValue(owned)
        await new MinioObjectStore({ client: other, bucket: bucket.name }).open()
      })

      it('fails when the bucket belongs to someone else', async () => {
        const other = s3TestClient(settings)
        vi.spyOn(other, 'bucketExists').mockResolvedValue(false)
        const taken = Object.assign(new Error('taken'), { code: 'BucketAlreadyExists' })
        vi.spyOn(other, 'makeBucket').mockRejectedValue(taken)
        await expect(new MinioObjectStore({ client: other, bucket: 'strata-not-ours' }).open()).rejects.toBe(
          taken,
        )
      })
    })

    describe('multipart puts (5 MiB parts)', () => {
      const size = 12 * MiB + 7
      const bytes = randomBytes(size)

      it('round-trips, with ranges across part boundaries, a clamped end and a suffix', async () => {
        const key = randomKey()
        await store.put(key, size, chunked(bytes, 1_000_003))
        expect((await content(key)).equals(bytes)).toBe(true)
        expect(
          (await content(key, { start: 5 * MiB - 3, end: 10 * MiB + 2 })).equals(
            bytes.subarray(5 * MiB - 3, 10 * MiB + 3),
          ),
        ).toBe(true)
        expect((await content(key, { start: size - 1 })).equals(bytes.subarray(size - 1))).toBe(true)
        // S3 clamps an end past the object; so does the contract.
        expect((await content(key, { start: 1, end: size })).equals(bytes.subarray(1))).toBe(true)
        const suffix = Buffer.from(await readAll((await store.get(key, { range: { suffix: 6 * MiB } })).body))
        expect(suffix.equals(bytes.subarray(size - 6 * MiB))).toBe(true)
        await expect(store.get(key, { range: { start: size } })).rejects.toMatchObject({
          name: 'RangeNotSatisfiableError',
          size,
        })
        await expectNoUpload(key)
        await store.delete(key)
      })

      it('streams a body of undeclared size in part-size parts, holding at most two', async () => {
        const key = randomKey()
        await store.put(key, undefined, chunked(bytes, 1_000_003))
        expect((await content(key)).equals(bytes)).toBe(true)
        expect(store.bufferBudget.highWaterMark).toBeLessThanOrEqual(2 * 5 * MiB)
        await expectNoUpload(key)
        await store.delete(key)
      })

      it('refuses a longer body even when its declared bytes filled every part, keeping the old object', async () => {
        const key = randomKey()
        await store.put(key, 3, utf8('old'))
        async function* longer() {
          yield* chunked(bytes, 4 * MiB) // all `size` bytes: every part is full and uploaded
          yield utf8('!')
        }
        await expect(store.put(key, size, longer())).rejects.toMatchObject({
          name: 'TooLargeError',
          expected: size,
        })
        expect((await content(key)).toString()).toBe('old')
        await expectNoUpload(key)
        await store.delete(key)
      })

      it('refuses a shorter body, leaving nothing behind', async () => {
        const key = randomKey()
        await expect(store.put(key, size, chunked(bytes.subarray(0, 11 * MiB), MiB))).rejects.toMatchObject({
          name: 'TooSmallError',
          expected: size,
          actual: 11 * MiB,
        })
        expect(await store.has(key)).toBe(false)
        await expectNoUpload(key)
      })

      it('fails a body that throws, leaving nothing behind', async () => {
        const key = randomKey()
        const boom = new Error('producer failed')
        async function* failing() {
          yield bytes.subarray(0, 6 * MiB)
          throw boom
        }
        await expect(store.put(key, size, failing())).rejects.toBe(boom)
        expect(await store.has(key)).toBe(false)
        await expectNoUpload(key)
      })

      it('aborts the upload initiated beside the body when the body fails before it is initiated', async () => {
        // The upload is initiated while the first part fills: a body failing at once must not
        // leave the upload that initiation creates behind.
        const key = randomKey()
        const boom = new Error('producer failed at once')
        async function* failing(): AsyncGenerator<Uint8Array> {
          yield bytes.subarray(0, 1)
          throw boom
        }
        await expect(store.put(key, size, failing())).rejects.toBe(boom)
        await expectNoUpload(key)
        await expect(store.put(key, size, chunked(bytes.subarray(0, 1), 1))).rejects.toMatchObject({
          name: 'TooSmallError',
        })
        await expectNoUpload(key)
      })
    })

    describe('abort', () => {
      it('cancels a get midway and releases its socket', async () => {
        const key = randomKey()
        await store.put(key, 4 * MiB, new Uint8Array(4 * MiB))
        const controller = new AbortController()
        const { body } = await store.get(key, { signal: controller.signal })
        expect(socketsInUse()).toBe(1)
        let read = 0
        const reading = (async () => {
          for await (const chunk of body) {
            read += chunk.byteLength
            controller.abort()
          }
        })()
        await expect(reading).rejects.toMatchObject({ name: 'AbortError' })
        expect(read).toBeLessThan(4 * MiB)
        await vi.waitFor(() => expect(socketsInUse()).toBe(0))
        await store.delete(key)
      })

      it('releases the socket when the reader breaks out of the body', async () => {
        const key = randomKey()
        await store.put(key, 4 * MiB, new Uint8Array(4 * MiB))
        for await (const _chunk of (await store.get(key)).body) break
        await vi.waitFor(() => expect(socketsInUse()).toBe(0))
        await store.delete(key)
      })

      it('cancels a multipart put midway: nothing visible, no parts left, sockets released', async () => {
        const key = randomKey()
        const controller = new AbortController()
        async function* body() {
          yield randomBytes(6 * MiB) // part 1 starts uploading
          await new Promise((resolve) => setTimeout(resolve, 20))
          controller.abort()
          yield randomBytes(6 * MiB)
        }
        await expect(store.put(key, 12 * MiB, body(), { signal: controller.signal })).rejects.toMatchObject({
          name: 'AbortError',
        })
        expect(await store.has(key)).toBe(false)
        await expectNoUpload(key)
        await vi.waitFor(() => expect(socketsInUse()).toBe(0))
      })

      it('cancels a list', async () => {
        const base = randomKey('abort')
        for (const suffix of ['a', 'b', 'c']) await store.put(`${base}/${suffix}`, 1, utf8('x'))
        const controller = new AbortController()
        const paged = new MinioObjectStore({ client, bucket: bucket.name, listPageSize: 1 })
        await paged.open()
        const listing = (async () => {
          for await (const _key of paged.list(base, { signal: controller.signal })) controller.abort()
        })()
        await expect(listing).rejects.toMatchObject({ name: 'AbortError' })
      })
    })

    it('stores and lists keys minio-js would mangle, across pages', async () => {
      const base = randomKey('k')
      const suffixes = [
        '00',
        '0123',
        '1e5',
        'true',
        'a b',
        'a+b',
        'ü/ß',
        'x%20y',
        '//x',
        '&<>"\'',
        'tab\t',
        '?#',
        '.',
        '..',
        '😀',
      ]
      const keys = suffixes.map((suffix) => `${base}${suffix}`)
      for (const key of keys) await store.put(key, Buffer.byteLength(key), utf8(key))
      for (const key of keys) expect((await content(key)).toString(), key).toBe(key)
      const paged = new MinioObjectStore({ client, bucket: bucket.name, listPageSize: 2 })
      await paged.open()
      const listed: string[] = []
      for await (const key of paged.list(base)) listed.push(key)
      expect(listed.sort()).toEqual([...keys].sort())
      // Ceph's continuation token is the last key: a numeric-looking one must survive.
      const numeric: string[] = []
      for (const key of ['00', '01', '0123', '1e5']) await store.put(key, 1, utf8('x'))
      for await (const key of paged.list('0')) numeric.push(key)
      expect(numeric.sort()).toEqual(['00', '01', '0123'])
      for (const key of [...keys, '00', '01', '0123', '1e5']) await store.delete(key)
    })

    it('refuses keys with no UTF-8 form', async () => {
      await expect(store.put('bad\ud800', 1, utf8('x'))).rejects.toMatchObject({ name: 'InvalidKeyError' })
    })

    it('refuses use before open()', async () => {
      const closed = new MinioObjectStore({ client, bucket: bucket.name })
      await expect(closed.get('x')).rejects.toThrow(/not open/)
    })
  })
})
