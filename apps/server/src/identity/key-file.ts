/**
 * The node identity as a PEM key file, as Piri keeps it (`identity.key_file`, v0.2.4
 * `lib/identity.go` reads it, `cmd/cli/identity/root.go` writes it): an Ed25519 private key,
 * PKCS#8 DER (`x509.MarshalPKCS8PrivateKey`, OID 1.3.101.112, no public key) in a
 * `-----BEGIN PRIVATE KEY-----` block. Node's `crypto` parses and writes the same bytes; the seed
 * becomes a ucanto signer through `@ucanto/principal/ed25519`.
 * @packageDocumentation
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { ed25519 } from '@ucanto/principal'
import { KeyFileError } from '../errors.js'

/** The largest key file read, in bytes (a PEM Ed25519 key is 119; room for comments and other blocks). */
export const MAX_KEY_FILE_BYTES = 64 * 1024

/**
 * Where `ed25519.Signer.encode()` keeps the keys: the varint of 0x1300 (2 bytes), the 32-byte
 * secret, the varint of 0xed (2 bytes), the 32-byte public key.
 */
const SECRET_OFFSET = 2
const PUBLIC_OFFSET = 36

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`

/**
 * Reads and checks the key file at `path` and answers its signer. The file must be a regular
 * file (a symlink to one is followed), owned by this process's user, with no permission for group
 * or others (0600 or 0400), at most {@link MAX_KEY_FILE_BYTES}, and hold an unencrypted Ed25519
 * private key in PEM.
 * @throws {KeyFileError} naming the one problem found (missing, unreadable, not a regular file,
 *   another owner, group/other permissions, too large, not an Ed25519 PEM private key).
 */
export async function readKeyFile(path: string): Promise<ed25519.EdSigner> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    // Non-blocking, so a FIFO in its place is refused below instead of waiting for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new KeyFileError(path, 'does not exist')
    if (code === 'EACCES') throw new KeyFileError(path, 'cannot be read by this process (permission denied)')
    throw new KeyFileError(path, `cannot be opened (${code ?? 'error'})`, { cause: error })
  }
  try {
    const found = await handle.stat()
    if (!found.isFile()) throw new KeyFileError(path, `is not a regular file (${kindOf(found)})`)
    const uid = process.geteuid?.()
    if (uid !== undefined && found.uid !== uid) {
      throw new KeyFileError(path, `is owned by uid ${found.uid}, not by this process (uid ${uid})`)
    }
    if (uid !== undefined && (found.mode & 0o077) !== 0) {
      throw new KeyFileError(
        path,
        `is readable or writable by group or others (mode ${octal(found.mode)}); run chmod 600 on it`,
      )
    }
    if (found.size > MAX_KEY_FILE_BYTES) {
      throw new KeyFileError(path, `is ${found.size} bytes, too large for a key file`)
    }
    const text = await handle.readFile({ encoding: 'utf8' })
    return await signerFromPem(text, path)
  } finally {
    await handle.close()
  }
}

function kindOf(found: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (found.isDirectory()) return 'a directory'
  if (found.isFIFO()) return 'a FIFO'
  if (found.isSocket()) return 'a socket'
  return 'a device'
}

/**
 * The signer of a PEM Ed25519 private key (the first private key block; other blocks and text
 * around it are skipped, as Piri does).
 * @param source names the key in errors (a path).
 * @throws {KeyFileError} the text holds no unencrypted private key, or one of another type.
 */
export async function signerFromPem(pem: string, source: string): Promise<ed25519.EdSigner> {
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch (error) {
    // Node answers an encrypted key with one code or another by version; the block names it.
    if (pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
      throw new KeyFileError(
        source,
        'holds an encrypted private key; it must be unencrypted (BEGIN PRIVATE KEY)',
      )
    }
    throw new KeyFileError(
      source,
      'is not an Ed25519 private key in PEM (PKCS#8, -----BEGIN PRIVATE KEY-----)',
      { cause: error },
    )
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new KeyFileError(source, `holds an ${key.asymmetricKeyType ?? 'unknown'} private key, not Ed25519`)
  }
  const { d } = key.export({ format: 'jwk' })
  if (typeof d !== 'string') throw new KeyFileError(source, 'holds an Ed25519 key without its private part')
  return ed25519.derive(Buffer.from(d, 'base64url'))
}

/**
 * A new Ed25519 private key in PEM, exactly as `piri identity generate` writes one (PKCS#8,
 * `-----BEGIN PRIVATE KEY-----`, 64-character base64 lines, a final newline).
 */
export function generatePem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/** The PEM (PKCS#8) of a ucanto Ed25519 signer's key: what {@link signerFromPem} reads back. */
export function pemOf(signer: ed25519.EdSigner): string {
  const encoded = signer.encode()
  const d = Buffer.from(encoded.subarray(SECRET_OFFSET, SECRET_OFFSET + 32)).toString('base64url')
  const x = Buffer.from(encoded.subarray(PUBLIC_OFFSET, PUBLIC_OFFSET + 32)).toString('base64url')
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d, x }, format: 'jwk' })
  return key.export({ type: 'pkcs8', format: 'pem' }).toString()
}
