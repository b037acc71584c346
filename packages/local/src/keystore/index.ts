/**
 * `@strata/local/keystore`: named private keys on the node's local disk, never on S3.
 *
 * ```js
 * import { LevelKeyStore } from '@strata/local/keystore'
 * const keys = new LevelKeyStore({ path: './data/wallet' })
 * await keys.open()
 * ```
 * @packageDocumentation
 */
export { InvalidKeyNameError, NotFoundError } from '../errors.js'
export type { KeyStore } from './contract.js'
export { DatastoreKeyStore, type DatastoreKeyStoreOptions } from './datastore.js'
export { KEYSTORE_DIR_MODE, KEYSTORE_FILE_MODE, LevelKeyStore, type LevelKeyStoreOptions } from './level.js'
export { MemoryKeyStore } from './memory.js'
export { assertKeyName, MAX_KEY_NAME_LENGTH } from './names.js'
export { ObjectKeyStore, type ObjectKeyStoreOptions } from './object.js'
