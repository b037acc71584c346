import { randomBytes } from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AUTH_TOKEN_FILE } from '../data-dir.js'

/** A fresh token: 32 random bytes, base64url (43 characters). */
export function generateAuthToken(): string {
  return randomBytes(32).toString('base64url')
}

/** Where the bearer token comes from. */
export type AuthTokenSource = 'config' | 'file' | 'generated' | 'ephemeral'

/**
 * Reads `<dataDir>/auth-token`, or creates it (mode 0600, exclusively, so two instances sharing a
 * data dir agree on one token) with a fresh token.
 * @throws {Error} the file cannot be read or written, or holds fewer than 16 characters.
 */
export async function persistentAuthToken(
  dataDir: string,
): Promise<{ token: string; source: AuthTokenSource; path: string }> {
  const path = join(dataDir, AUTH_TOKEN_FILE)
  const read = async () => {
    const token = (await readFile(path, 'utf8')).trim()
    if (token.length < 16)
      throw new Error(`${path} holds no valid token (at least 16 characters); delete it to generate one`)
    return token
  }
  try {
    return { token: await read(), source: 'file', path }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const token = generateAuthToken()
  try {
    await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' })
    await chmod(path, 0o600)
    return { token, source: 'generated', path }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return { token: await read(), source: 'file', path }
    throw error
  }
}
