/**
 * The node identity at start: from `identity.keyFile` when set (Piri's way), else from the wallet
 * (`<dataDir>/wallet`, generated on a first start). The decisions are in docs/architecture.md,
 * "Deployments" and "Identity".
 * @packageDocumentation
 */
import type { SignatureV4 } from '@smithy/signature-v4'
import type { KeyStore } from '@strata/local/keystore'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import { IdentityMismatchError, IdentityMissingError } from '../errors.js'
import {
  createSigner,
  IDENTITY_KEY_NAME,
  identityOf,
  loadIdentity,
  type NodeIdentity,
} from '../identity/index.js'
import { readKeyFile } from '../identity/key-file.js'
import type { Resource } from './lifecycle.js'

/** What the identity resource needs from the container. */
export interface IdentitySource {
  config: Config
  logger: Logger
  keystore: KeyStore
  /** The keystore's location, for messages. */
  walletPath: string
  /** Whether the data dir held a node before this start (read by the data directory checks). */
  previousNode: () => boolean
}

/** The identity and the presign signer made from it, once the resource is open. */
export interface Signing {
  identity: NodeIdentity
  signer: SignatureV4
}

/**
 * The key file's identity. The wallet is not used for it; a wallet identity of another key is
 * refused unless `storage.allowNewIdentity` (then it is left in the wallet, unused).
 * @throws {KeyFileError} the key file cannot be used.
 * @throws {IdentityMismatchError} the wallet holds another identity.
 */
async function keyFileIdentity(source: IdentitySource, keyFile: string): Promise<NodeIdentity> {
  const { config, keystore, logger, walletPath } = source
  const identity = identityOf((await readKeyFile(keyFile)).encode())
  if (!(await keystore.has(IDENTITY_KEY_NAME))) return identity
  const wallet = identityOf(await keystore.get(IDENTITY_KEY_NAME))
  if (wallet.did === identity.did) return identity
  if (!config.storage.allowNewIdentity) {
    throw new IdentityMismatchError(keyFile, identity.did, walletPath, wallet.did)
  }
  logger.warn(
    { keyFile: identity.did, wallet: wallet.did },
    "the key file's identity replaces the wallet's (storage.allowNewIdentity)",
  )
  return identity
}

/**
 * The wallet's identity, generated on a first start.
 * @throws {IdentityMissingError} the data dir held a node but the wallet holds no identity.
 */
async function walletIdentity(source: IdentitySource): Promise<NodeIdentity> {
  const { config, keystore, logger, walletPath } = source
  if (source.previousNode() && !(await keystore.has(IDENTITY_KEY_NAME))) {
    if (!config.storage.allowNewIdentity) throw new IdentityMissingError(walletPath)
    logger.warn('no node identity in the wallet: generating a new one (storage.allowNewIdentity)')
  }
  return loadIdentity(keystore)
}

/**
 * The container resource that loads the node identity (after the keystore is open) and answers
 * it through `current()` while open.
 */
export function identityResource(source: IdentitySource): Resource & { current(): Signing | undefined } {
  let signing: Signing | undefined
  const { keyFile } = source.config.identity
  return {
    name: keyFile === undefined ? 'node identity' : `node identity (key file ${keyFile})`,
    open: async () => {
      const identity =
        keyFile === undefined ? await walletIdentity(source) : await keyFileIdentity(source, keyFile)
      signing = { identity, signer: createSigner(identity.credentials) }
      source.logger.info(
        { did: identity.did, source: keyFile === undefined ? 'wallet' : 'key file' },
        'node identity loaded',
      )
    },
    close: async () => {
      signing = undefined
    },
    current: () => signing,
  }
}
