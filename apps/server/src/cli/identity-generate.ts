import { resolve } from 'node:path'
import { generatePem, signerFromPem } from '../identity/key-file.js'
import { type CliIo, println, writeNewPrivateFile } from './io.js'

/**
 * `strata identity generate [-o <file>]`: a new Ed25519 identity key, as `piri identity generate`
 * writes it (PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`), on stdout or into `<file>` (created 0600,
 * never overwritten); its DID on stderr.
 * @throws {CliError} exit 2 when `<file>` exists.
 */
export async function identityGenerate(io: CliIo, output: string | undefined): Promise<number> {
  const pem = generatePem()
  const did = (await signerFromPem(pem, 'the generated key')).did()
  if (output === undefined) {
    io.stdout.write(pem)
  } else {
    await writeNewPrivateFile(resolve(io.cwd, output), pem)
  }
  println(io.stderr, did)
  return 0
}
