/**
 * Where the node identity comes from at start: `identity.keyFile` (Piri's way) or the wallet, and
 * what happens when both hold one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelKeyStore } from '@strata/local/keystore'
import { ed25519 } from '@ucanto/principal'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConfigInput, configSchema } from '../../src/config/index.js'
import { createContainer, type StrataContainer } from '../../src/container/index.js'
import { generatePem, IDENTITY_KEY_NAME, identityOf, pemOf, signerFromPem } from '../../src/identity/index.js'

const quiet = pino({ level: 'silent' })
let dir: string
let dataDir: string
const running: StrataContainer[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-container-identity-'))
  dataDir = join(dir, 'data')
})
afterEach(async () => {
  for (const app of running.splice(0)) await app.stop()
  await rm(dir, { recursive: true, force: true })
})

async function start(input: ConfigInput): Promise<StrataContainer> {
  const config = configSchema.parse({ ...input, storage: { dataDir, ...input.storage } })
  const app = createContainer(config, { logger: quiet })
  await app.start()
  running.push(app)
  return app
}

async function keyFileOf(pem: string, name = 'service.pem'): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, pem, { mode: 0o600 })
  return path
}

async function walletKey(): Promise<Uint8Array | undefined> {
  const wallet = new LevelKeyStore({ path: join(dataDir, 'wallet') })
  await wallet.open()
  try {
    return (await wallet.has(IDENTITY_KEY_NAME)) ? await wallet.get(IDENTITY_KEY_NAME) : undefined
  } finally {
    await wallet.close()
  }
}

const startError = (input: ConfigInput) =>
  start(input).then(
    () => undefined,
    (error: Error) => error.cause as Error,
  )

describe('identity.keyFile', () => {
  it("gives the node the key file's DID, signer and credentials, and writes nothing to the wallet", async () => {
    const pem = generatePem()
    const expected = identityOf((await signerFromPem(pem, 'test')).encode())
    const app = await start({ identity: { keyFile: await keyFileOf(pem) } })
    expect(app.cradle.identity.did).toBe(expected.did)
    expect(app.cradle.identity.credentials).toEqual(expected.credentials)
    await app.stop()
    expect(await walletKey()).toBeUndefined()
  })

  it('is the same identity as the wallet key it was exported from (no refusal, same credentials)', async () => {
    const first = await start({})
    const walletIdentity = first.cradle.identity
    await first.stop()
    const keyFile = await keyFileOf(pemOf(walletIdentity.signer))
    const second = await start({ identity: { keyFile } })
    expect(second.cradle.identity.did).toBe(walletIdentity.did)
    expect(second.cradle.identity.credentials).toEqual(walletIdentity.credentials)
  })

  it("refuses a wallet identity other than the key file's, unless storage.allowNewIdentity", async () => {
    const first = await start({})
    const walletDid = first.cradle.identity.did
    await first.stop()
    const before = await walletKey()
    const pem = generatePem()
    const keyFile = await keyFileOf(pem)
    const keyDid = (await signerFromPem(pem, 'test')).did()
    const error = await startError({ identity: { keyFile } })
    expect(error).toMatchObject({ name: 'IdentityMismatchError' })
    expect(error?.message).toBe(
      `refusing to start: identity key file ${keyFile} holds ${keyDid} but ${join(dataDir, 'wallet')} holds this node's identity ${walletDid}; use the wallet's key (strata identity export), or set storage.allowNewIdentity (STRATA_STORAGE_ALLOW_NEW_IDENTITY=true) to switch to the key file's identity`,
    )
    const app = await start({ identity: { keyFile }, storage: { allowNewIdentity: true } })
    expect(app.cradle.identity.did).toBe(keyDid)
    await app.stop()
    // The wallet's key is left as it was: dropping identity.keyFile brings the old identity back.
    expect(await walletKey()).toEqual(before)
  })

  it('needs no wallet identity even where a node ran before (the key file is the identity)', async () => {
    const signer = await ed25519.generate()
    const first = await start({ identity: { keyFile: await keyFileOf(pemOf(signer)) } })
    await first.stop() // the data dir now holds a node's record stores, and a wallet without identity
    const again = await start({ identity: { keyFile: await keyFileOf(pemOf(signer), 'copy.pem') } })
    expect(again.cradle.identity.did).toBe(signer.did())
  })

  it('fails the start with the KeyFileError of an unusable key file', async () => {
    const keyFile = join(dir, 'missing.pem')
    expect(await startError({ identity: { keyFile } })).toMatchObject({
      name: 'KeyFileError',
      message: `identity key file ${keyFile} does not exist`,
    })
  })
})
