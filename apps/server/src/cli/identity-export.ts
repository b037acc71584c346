import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { LevelKeyStore } from '@strata/local/keystore'
import { LAYOUTS } from '../data-dir.js'
import { IDENTITY_KEY_NAME, identityOf } from '../identity/index.js'
import { pemOf } from '../identity/key-file.js'
import { CliError, type CliIo, loadCliConfig, println, writeNewPrivateFile } from './io.js'

/**
 * `strata identity export [-o <file>] [--config <file>]`: the node identity in the wallet
 * (`<storage.dataDir>/wallet`) as a PEM key file for `identity.keyFile`, on stdout or into
 * `<file>` (created 0600, never overwritten); its DID on stderr. The server must be stopped
 * (LevelDB locks the wallet while it runs).
 * @throws {CliError} exit 2: no wallet or no identity in it, the wallet is in use, `<file>` exists.
 */
export async function identityExport(
  io: CliIo,
  options: { output?: string; config?: string },
): Promise<number> {
  const { config } = await loadCliConfig(io, options.config)
  const wallet = resolve(io.cwd, join(config.storage.dataDir, LAYOUTS[config.storage.layout].dirs.wallet))
  if (
    !(await stat(wallet).then(
      (found) => found.isDirectory(),
      () => false,
    ))
  ) {
    throw new CliError(`${wallet} does not exist: no wallet to export from`, 2)
  }
  const keystore = new LevelKeyStore({ path: wallet })
  try {
    await keystore.open()
  } catch (error) {
    throw new CliError(`${wallet} cannot be opened (is strata serve running on it?): ${String(error)}`, 2)
  }
  let key: Uint8Array
  try {
    if (!(await keystore.has(IDENTITY_KEY_NAME))) throw new CliError(`${wallet} holds no node identity`, 2)
    key = await keystore.get(IDENTITY_KEY_NAME)
  } finally {
    await keystore.close()
  }
  const { signer, did } = identityOf(key)
  const pem = pemOf(signer)
  if (options.output === undefined) {
    io.stdout.write(pem)
  } else {
    await writeNewPrivateFile(resolve(io.cwd, options.output), pem)
  }
  println(io.stderr, did)
  return 0
}
