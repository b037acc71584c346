import { createHash, createHmac } from 'node:crypto'
import type { KeyStore } from '@strata/local/keystore'
import { ed25519 } from '@ucanto/principal'
import { base32 } from 'multiformats/bases/base32'

/** The keystore name of the node's ed25519 identity key (`Signer.encode()` bytes). */
export const IDENTITY_KEY_NAME = 'identity'

/** The HMAC message the presign secret is derived with; bump the version to rotate every secret. */
export const PRESIGN_SECRET_INFO = 'strata/presign/v1'

/** The prefix of every derived access key id (AWS ids are 20 upper-case characters; so are ours). */
export const ACCESS_KEY_PREFIX = 'STRA'

/** AWS-style credentials the node signs and checks presigned upload URLs with. */
export interface PresignCredentials {
  /** `STRA` + the first 16 characters of the upper-case base32 of sha256(DID): public, stable. */
  accessKeyId: string
  /** Lower-case hex of HMAC-SHA256(key = the stored identity key bytes, `strata/presign/v1`). */
  secretAccessKey: string
}

/** The node's identity: its DID, its ucanto signer and the presign credentials derived from it. */
export interface NodeIdentity {
  /** The node's DID (`did:key:z6Mk…`). */
  did: `did:key:${string}`
  /** The ucanto ed25519 signer (for issuing receipts, claims). */
  signer: ed25519.EdSigner
  /** The SigV4 credentials for presigned upload URLs, derived from the key (never stored). */
  credentials: PresignCredentials
}

/** Options for {@link loadIdentity}. */
export interface LoadIdentityOptions {
  /** Keystore name of the key. Default {@link IDENTITY_KEY_NAME}. */
  name?: string
  /** Aborts the keystore calls. */
  signal?: AbortSignal
}

/**
 * The node identity from the keystore: the ed25519 key stored under `identity`, generated
 * (`ed25519.generate()`) and stored (`.encode()`) on first use. Everything else is derived from the
 * key bytes, so the DID and presign credentials are stable across restarts and identical on every
 * instance whose keystore holds the same key.
 * @throws {NotFoundError} never (a missing key is generated); keystore errors pass through.
 * @throws {Error} the stored bytes are not an encoded ed25519 signer (ucanto's decode error).
 */
export async function loadIdentity(
  keystore: KeyStore,
  options: LoadIdentityOptions = {},
): Promise<NodeIdentity> {
  const name = options.name ?? IDENTITY_KEY_NAME
  const io = options.signal === undefined ? {} : { signal: options.signal }
  let bytes: Uint8Array
  if (await keystore.has(name, io)) {
    bytes = await keystore.get(name, io)
  } else {
    bytes = (await ed25519.generate()).encode()
    await keystore.put(name, bytes, io)
  }
  return identityOf(bytes)
}

/**
 * The identity of encoded signer bytes (`ed25519.Signer.encode()`), without any I/O.
 * @throws {Error} the bytes are not an encoded ed25519 signer.
 */
export function identityOf(bytes: Uint8Array): NodeIdentity {
  const signer = ed25519.decode(bytes)
  const did = signer.did()
  return { did, signer, credentials: presignCredentials(did, bytes) }
}

/** The presign credentials of a DID and its key bytes (see {@link PresignCredentials}). */
export function presignCredentials(did: string, keyBytes: Uint8Array): PresignCredentials {
  const hash = createHash('sha256').update(did, 'utf8').digest()
  const id = base32.baseEncode(hash).toUpperCase().slice(0, 16)
  const secret = createHmac('sha256', keyBytes).update(PRESIGN_SECRET_INFO, 'utf8').digest('hex')
  return { accessKeyId: `${ACCESS_KEY_PREFIX}${id}`, secretAccessKey: secret }
}
