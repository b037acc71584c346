import { resolve } from 'node:path'
import { KeyFileError } from '../errors.js'
import { readKeyFile } from '../identity/key-file.js'
import { CliError, type CliIo, println } from './io.js'

/**
 * `strata identity parse <file>`: prints the DID of a PEM key file on stdout. The file is checked
 * exactly as `strata serve` checks `identity.keyFile` (a regular file of this user, mode 0600 or
 * 0400, an unencrypted Ed25519 private key), so a file this accepts is one the server starts with.
 * @throws {CliError} exit 2 with the problem when the file cannot be used.
 */
export async function identityParse(io: CliIo, file: string): Promise<number> {
  try {
    const signer = await readKeyFile(resolve(io.cwd, file))
    println(io.stdout, signer.did())
    return 0
  } catch (error) {
    if (error instanceof KeyFileError) throw new CliError(error.message, 2)
    throw error
  }
}
