/**
 * The node identity: its ed25519 key (in the keystore, or a PEM key file), its DID and the presign
 * credentials.
 */
export {
  ACCESS_KEY_PREFIX,
  IDENTITY_KEY_NAME,
  identityOf,
  type LoadIdentityOptions,
  loadIdentity,
  type NodeIdentity,
  PRESIGN_SECRET_INFO,
  type PresignCredentials,
  presignCredentials,
} from './identity.js'
export { generatePem, MAX_KEY_FILE_BYTES, pemOf, readKeyFile, signerFromPem } from './key-file.js'
export { createSigner, PRESIGN_REGION, PRESIGN_SERVICE } from './signer.js'
