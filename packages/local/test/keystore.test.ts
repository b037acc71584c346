import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ed25519 } from '@ucanto/principal'
import { MemoryDatastore } from 'datastore-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  DatastoreKeyStore,
  InvalidKeyNameError,
  type KeyStore,
  LevelKeyStore,
  MemoryKeyStore,
  NotFoundError,
} from '../src/keystore/index.js'
import { toArray } from './fixtures.js'

const dirs: string[] = []

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-keystore-'))
  dirs.push(dir)
  return dir
}

const backends: Array<[string, () => Promise<KeyStore>]> = [
  ['MemoryKeyStore', async () => new MemoryKeyStore()],
  ['DatastoreKeyStore', async () => new DatastoreKeyStore({ datastore: new MemoryDatastore() })],
  ['LevelKeyStore', async () => new LevelKeyStore({ path: join(await tempDir(), 'wallet') })],
]

describe.each(backends)('%s', (_, create) => {
  let store: KeyStore

  beforeEach(async () => {
    store = await create()
    await store.open()
    await store.open() // idempotent
  })

  afterEach(async () => {
    await store.close()
  })

  it('puts, gets, has, lists and deletes named keys', async () => {
    const key = new Uint8Array([1, 2, 3, 4])
    expect(await store.has('node')).toBe(false)
    await store.put('node', key)
    await store.put('Backup.key_2-old', new Uint8Array([9]))
    expect(await store.has('node')).toBe(true)
    expect(await store.get('node')).toEqual(key)
    expect((await toArray(store.list())).sort()).toEqual(['Backup.key_2-old', 'node'])
    await store.put('node', new Uint8Array([5]))
    expect(await store.get('node')).toEqual(new Uint8Array([5]))
    await store.delete('node')
    await store.delete('node')
    expect(await store.has('node')).toBe(false)
    expect(await toArray(store.list())).toEqual(['Backup.key_2-old'])
  })

  it('throws NotFoundError for a missing key', async () => {
    const error = await store.get('missing').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error).toMatchObject({ name: 'NotFoundError', key: 'missing' })
  })

  it('stores and answers copies', async () => {
    const key = new Uint8Array([1, 2, 3])
    await store.put('k', key)
    key.fill(0)
    const read = await store.get('k')
    expect(read).toEqual(new Uint8Array([1, 2, 3]))
    read.fill(0)
    expect(await store.get('k')).toEqual(new Uint8Array([1, 2, 3]))
    // Buffer#slice is a view, not a copy: a Buffer must be copied too.
    const buffer = Buffer.from([4, 5, 6])
    await store.put('b', buffer)
    buffer.fill(0)
    expect(await store.get('b')).toEqual(new Uint8Array([4, 5, 6]))
  })

  it('refuses invalid names with InvalidKeyNameError and empty keys with TypeError', async () => {
    for (const name of ['', '.hidden', '-x', 'a/b', '../etc/passwd', 'a:b', 'sp ace', 'é', 'x'.repeat(129)]) {
      await expect(store.put(name, new Uint8Array([1]))).rejects.toBeInstanceOf(InvalidKeyNameError)
      await expect(store.get(name)).rejects.toMatchObject({ name: 'InvalidKeyNameError', keyName: name })
      await expect(store.has(name)).rejects.toBeInstanceOf(InvalidKeyNameError)
    }
    await store.put('x'.repeat(128), new Uint8Array([1]))
    await expect(store.put('k', new Uint8Array(0))).rejects.toThrow(TypeError)
    await expect(store.put('k', 'secret' as unknown as Uint8Array)).rejects.toThrow(TypeError)
  })

  it('round-trips a ucanto ed25519 signer', async () => {
    const signer = await ed25519.generate()
    await store.put('identity', signer.encode())
    const restored = ed25519.decode(await store.get('identity'))
    expect(restored.did()).toBe(signer.did())
    const payload = new TextEncoder().encode('hello')
    const signature = await restored.sign(payload)
    expect(await signer.verifier.verify(payload, signature)).toBe(true)
  })
})
