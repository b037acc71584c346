import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelKeyStore, MemoryKeyStore } from '@strata/local/keystore'
import { ed25519 } from '@ucanto/principal'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ACCESS_KEY_PREFIX,
  IDENTITY_KEY_NAME,
  identityOf,
  loadIdentity,
  presignCredentials,
} from '../../src/identity/index.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-identity-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadIdentity', () => {
  it('generates and stores an ed25519 key on first use, then reuses it', async () => {
    const keystore = new MemoryKeyStore()
    await keystore.open()
    expect(await keystore.has(IDENTITY_KEY_NAME)).toBe(false)
    const first = await loadIdentity(keystore)
    expect(first.did).toMatch(/^did:key:z6Mk/)
    expect(await keystore.has(IDENTITY_KEY_NAME)).toBe(true)
    expect(ed25519.decode(await keystore.get(IDENTITY_KEY_NAME)).did()).toBe(first.did)
    const second = await loadIdentity(keystore)
    expect(second.did).toBe(first.did)
    expect(second.credentials).toEqual(first.credentials)
    expect(second.signer.did()).toBe(first.did)
  })

  it('is stable across restarts of a LevelDB keystore', async () => {
    const path = join(dir, 'wallet')
    const a = new LevelKeyStore({ path })
    await a.open()
    const first = await loadIdentity(a)
    await a.close()
    const b = new LevelKeyStore({ path })
    await b.open()
    const second = await loadIdentity(b)
    await b.close()
    expect(second.did).toBe(first.did)
    expect(second.credentials).toEqual(first.credentials)
  })

  it('is shared by instances whose keystores hold the same key, and differs between keys', async () => {
    const signer = await ed25519.generate()
    const one = new MemoryKeyStore()
    const two = new MemoryKeyStore()
    await one.open()
    await two.open()
    await one.put(IDENTITY_KEY_NAME, signer.encode())
    await two.put(IDENTITY_KEY_NAME, signer.encode())
    const [x, y] = await Promise.all([loadIdentity(one), loadIdentity(two)])
    expect(x.did).toBe(signer.did())
    expect(y.credentials).toEqual(x.credentials)
    const other = identityOf((await ed25519.generate()).encode())
    expect(other.credentials.accessKeyId).not.toBe(x.credentials.accessKeyId)
    expect(other.credentials.secretAccessKey).not.toBe(x.credentials.secretAccessKey)
  })

  it('honours a custom key name', async () => {
    const keystore = new MemoryKeyStore()
    await keystore.open()
    const identity = await loadIdentity(keystore, { name: 'node-key' })
    expect(await keystore.has('node-key')).toBe(true)
    expect(await keystore.has(IDENTITY_KEY_NAME)).toBe(false)
    expect(identity.did).toMatch(/^did:key:/)
  })

  it('refuses stored bytes that are not an ed25519 signer', async () => {
    const keystore = new MemoryKeyStore()
    await keystore.open()
    await keystore.put(IDENTITY_KEY_NAME, new Uint8Array([1, 2, 3]))
    await expect(loadIdentity(keystore)).rejects.toThrow()
  })
})

describe('presignCredentials', () => {
  it('derives an AWS-shaped access key id and a hex HMAC secret, deterministically', async () => {
    const signer = await ed25519.generate()
    const creds = presignCredentials(signer.did(), signer.encode())
    expect(creds.accessKeyId).toMatch(new RegExp(`^${ACCESS_KEY_PREFIX}[A-Z2-7]{16}$`))
    expect(creds.accessKeyId).toHaveLength(20)
    expect(creds.secretAccessKey).toMatch(/^[0-9a-f]{64}$/)
    expect(presignCredentials(signer.did(), signer.encode())).toEqual(creds)
    expect(creds.secretAccessKey).not.toContain(Buffer.from(signer.encode()).toString('hex'))
  })
})
