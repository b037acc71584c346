/**
 * The identity key file (`identity.keyFile`), read as Piri reads `identity.key_file`: golden bytes
 * worked out independently of strata's code (RFC 8032's first test key, its PKCS#8 DER as Go's
 * `x509.MarshalPKCS8PrivateKey` writes it, its did:key from the raw public key), and each reason
 * a file is refused.
 */
import { execFileSync } from 'node:child_process'
import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ed25519 } from '@ucanto/principal'
import { base58btc } from 'multiformats/bases/base58'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  generatePem,
  identityOf,
  MAX_KEY_FILE_BYTES,
  pemOf,
  readKeyFile,
  signerFromPem,
} from '../../src/identity/index.js'

/** RFC 8032, section 7.1, TEST 1. */
const SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
const PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
/** PKCS#8 v1 of an Ed25519 key: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }. */
const PKCS8_PREFIX = '302e020100300506032b657004220420'
/** What Go's `pem.Encode` writes for those 48 bytes: one 64-character line. */
const GOLDEN_PEM = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(PKCS8_PREFIX + SECRET, 'hex').toString('base64')}\n-----END PRIVATE KEY-----\n`
/** did:key = "z" + base58btc(varint 0xed + public key). */
const GOLDEN_DID = `did:key:${base58btc.encode(Buffer.from(`ed01${PUBLIC}`, 'hex'))}`

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-key-file-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function keyFile(name: string, text: string | Buffer, mode = 0o600): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  await chmod(path, mode)
  return path
}

describe('the PEM key file, as Piri writes and reads it', () => {
  it("gives RFC 8032's key the did:key worked out from its raw public key", async () => {
    expect(GOLDEN_PEM).toBe(
      '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n',
    )
    expect(GOLDEN_DID).toBe('did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw')
    const signer = await readKeyFile(await keyFile('service.pem', GOLDEN_PEM))
    expect(signer.did()).toBe(GOLDEN_DID)
  })

  it('writes the same bytes back (pemOf), and the same credentials as the key in a wallet', async () => {
    const fromPem = await signerFromPem(GOLDEN_PEM, 'golden')
    expect(pemOf(fromPem)).toBe(GOLDEN_PEM)
    const derived = await ed25519.derive(Buffer.from(SECRET, 'hex'))
    expect(identityOf(fromPem.encode())).toEqual(identityOf(derived.encode()))
    // A signature made with it verifies against the RFC's public key.
    const payload = new TextEncoder().encode('strata')
    const signature = await fromPem.sign(payload)
    expect(await derived.verifier.verify(payload, signature)).toBe(true)
  })

  it('generates keys in the same form: PKCS#8 Ed25519, one 64-character base64 line', async () => {
    const pem = generatePem()
    const match = /^-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/]{64})\n-----END PRIVATE KEY-----\n$/.exec(pem)
    expect(match).not.toBeNull()
    const der = Buffer.from(match?.[1] ?? '', 'base64')
    expect(der.subarray(0, 16).toString('hex')).toBe(PKCS8_PREFIX)
    const signer = await signerFromPem(pem, 'generated')
    expect(signer.did()).toBe(
      `did:key:${base58btc.encode(Buffer.concat([Buffer.from('ed01', 'hex'), publicOf(pem)]))}`,
    )
    expect(pemOf(signer)).toBe(pem)
  })

  it('skips text and other blocks before the private key, as Piri does', async () => {
    const { publicKey } = generateKeyPairSync('ed25519')
    const text = `# ${GOLDEN_DID}\n${publicKey.export({ type: 'spki', format: 'pem' })}${GOLDEN_PEM}`
    expect((await readKeyFile(await keyFile('mixed.pem', text))).did()).toBe(GOLDEN_DID)
  })

  it('follows a symlink to a private regular file (0400 is fine)', async () => {
    const target = await keyFile('real.pem', GOLDEN_PEM, 0o400)
    await symlink(target, join(dir, 'link.pem'))
    expect((await readKeyFile(join(dir, 'link.pem'))).did()).toBe(GOLDEN_DID)
  })
})

describe('a key file that cannot be used is refused, each with its reason', () => {
  const refusal = (path: string) =>
    readKeyFile(path).then(
      () => 'accepted',
      (error: Error) => error,
    )

  it('missing', async () => {
    const path = join(dir, 'absent.pem')
    expect(await refusal(path)).toMatchObject({
      name: 'KeyFileError',
      path,
      message: `identity key file ${path} does not exist`,
    })
  })

  it('a directory, a FIFO', async () => {
    await mkdir(join(dir, 'd.pem'))
    expect(await refusal(join(dir, 'd.pem'))).toMatchObject({
      name: 'KeyFileError',
      message: `identity key file ${join(dir, 'd.pem')} is not a regular file (a directory)`,
    })
    execFileSync('mkfifo', ['-m', '600', join(dir, 'f.pem')])
    expect(await refusal(join(dir, 'f.pem'))).toMatchObject({
      message: `identity key file ${join(dir, 'f.pem')} is not a regular file (a FIFO)`,
    })
  })

  it.each([0o640, 0o604, 0o620, 0o644, 0o660])('open to group or others (mode %o)', async (mode) => {
    const path = await keyFile('open.pem', GOLDEN_PEM, mode)
    expect(await refusal(path)).toMatchObject({
      name: 'KeyFileError',
      message: `identity key file ${path} is readable or writable by group or others (mode 0${mode.toString(8)}); run chmod 600 on it`,
    })
  })

  it.runIf(process.geteuid?.() === 0)('owned by another user (checked as root)', async () => {
    const path = await keyFile('theirs.pem', GOLDEN_PEM)
    await chown(path, 65534, 65534)
    expect(await refusal(path)).toMatchObject({
      message: `identity key file ${path} is owned by uid 65534, not by this process (uid 0)`,
    })
  })

  it('too large to be a key file', async () => {
    const path = await keyFile('big.pem', Buffer.alloc(MAX_KEY_FILE_BYTES + 1, 0x41))
    expect(await refusal(path)).toMatchObject({
      message: `identity key file ${path} is ${MAX_KEY_FILE_BYTES + 1} bytes, too large for a key file`,
    })
  })

  it('not a PEM private key: text, an empty file, a public key only, a truncated block', async () => {
    const { publicKey } = generateKeyPairSync('ed25519')
    const texts = {
      'text.pem': 'did:key:z6Mk…\n',
      'empty.pem': '',
      'public.pem': publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      'cut.pem': GOLDEN_PEM.slice(0, 60),
    }
    for (const [name, text] of Object.entries(texts)) {
      const path = await keyFile(name, text)
      expect(await refusal(path)).toMatchObject({
        name: 'KeyFileError',
        message: `identity key file ${path} is not an Ed25519 private key in PEM (PKCS#8, -----BEGIN PRIVATE KEY-----)`,
      })
    }
  })

  it('a private key of another type (RSA, P-256)', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const rsaPath = await keyFile('rsa.pem', rsa.export({ type: 'pkcs8', format: 'pem' }))
    expect(await refusal(rsaPath)).toMatchObject({
      message: `identity key file ${rsaPath} holds an rsa private key, not Ed25519`,
    })
    const ecPath = await keyFile('ec.pem', ec.export({ type: 'sec1', format: 'pem' }))
    expect(await refusal(ecPath)).toMatchObject({
      message: `identity key file ${ecPath} holds an ec private key, not Ed25519`,
    })
  })

  it('an encrypted private key', async () => {
    const { privateKey } = generateKeyPairSync('ed25519')
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' })
    const path = await keyFile('enc.pem', pem)
    expect(await refusal(path)).toMatchObject({
      message: `identity key file ${path} holds an encrypted private key; it must be unencrypted (BEGIN PRIVATE KEY)`,
    })
  })
})

/** The raw public key of a PEM private key (through Node's JWK export, independent of ucanto). */
function publicOf(pem: string): Buffer {
  const { x } = createPrivateKey(pem).export({ format: 'jwk' })
  return Buffer.from(String(x), 'base64url')
}
