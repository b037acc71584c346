import { PlainKeyEncoder, STAGING_PREFIX, VerifiedBlobStore } from '@strata/blobstore'
import { blobStoreSuite, digestOf } from '@strata/blobstore/testing'
import type { Body, ObjectStore, PutOptions } from '@strata/objectstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { chunked, listKeys, readAll, utf8 } from '@strata/objectstore/testing'
import { base58btc } from 'multiformats/bases/base58'
import { describe, expect, it } from 'vitest'

const memory = new MemoryObjectStore()
blobStoreSuite('memory (Base32 keys)', {
  create: async () => new VerifiedBlobStore({ backend: memory }),
  staging: () => listKeys(memory, STAGING_PREFIX),
  supports: { boundedMemory: false },
})

blobStoreSuite('memory (Plain keys)', {
  create: async () =>
    new VerifiedBlobStore({ backend: new MemoryObjectStore(), keyEncoder: new PlainKeyEncoder() }),
  supports: { boundedMemory: false },
})

/** A memory backend that counts puts. */
class CountingStore extends MemoryObjectStore {
  puts = 0
  override async put(key: string, size: number | undefined, body: Body, options?: PutOptions): Promise<void> {
    this.puts++
    await super.put(key, size, body, options)
  }
}

describe('VerifiedBlobStore specifics', () => {
  const hello = utf8('hello world')
  const digest = digestOf(hello)

  it('uses Base32 keys by default and does not rewrite a stored blob', async () => {
    const backend = new CountingStore()
    const blobs = new VerifiedBlobStore({ backend })
    expect(blobs.keyOf(digest)).toBe('ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i')
    expect(await blobs.put(digest, 11, hello)).toEqual({ created: true })
    expect(await blobs.put(digest, 11, hello)).toEqual({ created: false })
    expect(backend.puts).toBe(1)
    expect(await backend.has('ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i')).toBe(true)
  })

  it('lists only the backend keys that decode as digests', async () => {
    const backend = new MemoryObjectStore()
    const blobs = new VerifiedBlobStore({ backend, keyEncoder: new PlainKeyEncoder() })
    await blobs.put(digest, 11, hello)
    for (const key of [
      'zNotAMultihash',
      'other/key',
      'ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i',
    ]) {
      await backend.put(key, 1, utf8('x'))
    }
    const listed: string[] = []
    for await (const found of blobs.list()) listed.push(base58btc.encode(found.bytes))
    expect(listed).toEqual(['zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4'])
  })

  it('reads and writes the backend key its encoder gives', async () => {
    const backend = new MemoryObjectStore()
    const blobs = new VerifiedBlobStore({ backend, keyEncoder: new PlainKeyEncoder() })
    await blobs.put(digest, 11, hello)
    const { body } = await backend.get('zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4')
    expect(Buffer.from(await readAll(body)).toString()).toBe('hello world')
  })

  it('never hands a backend all the bytes of a blob that fails verification', async () => {
    let received = 0
    let completed = false
    const recorder = new (class extends MemoryObjectStore {
      override async put(_key: string, _size: number, body: Body): Promise<void> {
        for await (const chunk of body as AsyncIterable<Uint8Array>) received += chunk.byteLength
        completed = true
      }
    })()
    const blobs = new VerifiedBlobStore({ backend: recorder })
    await expect(blobs.put(digestOf(utf8('hello wörld')), 11, chunked(hello, 4))).rejects.toMatchObject({
      name: 'DigestMismatchError',
    })
    expect(received).toBe(8)
    expect(completed).toBe(false)
  })

  it('takes back a blob a contract-breaking backend committed without reading to the end', async () => {
    // This backend stops reading once it has `size` bytes: it never sees the held-back last chunk.
    const sloppy: ObjectStore = new (class extends MemoryObjectStore {
      override async put(key: string, size: number, body: Body): Promise<void> {
        const parts: Uint8Array[] = []
        let received = 0
        if (body instanceof Uint8Array) return super.put(key, size, body)
        for await (const chunk of body) {
          parts.push(chunk)
          received += chunk.byteLength
          if (received >= size - 1) break
        }
        await super.put(key, received, Buffer.concat(parts))
      }
    })()
    const blobs = new VerifiedBlobStore({ backend: sloppy })
    async function* twoChunks() {
      yield hello.subarray(0, 10)
      yield hello.subarray(10)
    }
    await expect(blobs.put(digest, 11, twoChunks())).rejects.toThrow(/without reading the whole body/)
    expect(await blobs.has(digest)).toBe(false)
  })
})
