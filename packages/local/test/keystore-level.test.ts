import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ed25519 } from '@ucanto/principal'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KEYSTORE_DIR_MODE, KEYSTORE_FILE_MODE, LevelKeyStore } from '../src/keystore/index.js'

let root = ''
let umask: number | undefined

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-keystore-level-'))
  // A permissive umask must not make the key files readable by others.
  try {
    umask = process.umask(0)
  } catch {
    umask = undefined // worker threads cannot change the umask; the test still holds under the default
  }
})

afterEach(async () => {
  if (umask !== undefined) process.umask(umask)
  await rm(root, { recursive: true, force: true })
})

async function modes(dir: string): Promise<{ dir: number; files: Record<string, number> }> {
  const files: Record<string, number> = {}
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) files[entry.name] = (await stat(join(dir, entry.name))).mode & 0o777
  }
  return { dir: (await stat(dir)).mode & 0o777, files }
}

function expectPrivate(found: { dir: number; files: Record<string, number> }): void {
  expect(found.dir).toBe(KEYSTORE_DIR_MODE)
  expect(Object.keys(found.files).length).toBeGreaterThan(0)
  for (const [name, mode] of Object.entries(found.files))
    expect([name, mode]).toEqual([name, KEYSTORE_FILE_MODE])
}

describe('LevelKeyStore', () => {
  it('creates its directory 0o700 and every LevelDB file 0o600, whatever the umask', async () => {
    const path = join(root, 'data', 'wallet')
    const store = new LevelKeyStore({ path })
    await store.open()
    expectPrivate(await modes(path))
    // Enough writes for LevelDB to create new files (log rotation, tables).
    for (let i = 0; i < 200; i++) await store.put(`key-${i}`, new Uint8Array(4096).fill(i))
    expectPrivate(await modes(path))
    await store.close()
    expectPrivate(await modes(path))
  })

  it('tightens an existing directory and files', async () => {
    const path = join(root, 'wallet')
    await mkdir(path, { mode: 0o755 })
    await writeFile(join(path, 'stray'), 'x', { mode: 0o644 })
    const store = new LevelKeyStore({ path })
    await store.open()
    expectPrivate(await modes(path))
    await store.close()
  })

  it('keeps keys across close and open', async () => {
    const path = join(root, 'wallet')
    const signer = await ed25519.generate()
    const first = new LevelKeyStore({ path })
    await first.open()
    await first.put('identity', signer.encode())
    await first.close()
    await first.close() // idempotent

    const second = new LevelKeyStore({ path })
    await second.open()
    expect(ed25519.decode(await second.get('identity')).did()).toBe(signer.did())
    await second.close()
  })

  it('requires open() and refuses a path that is a file', async () => {
    const store = new LevelKeyStore({ path: join(root, 'wallet') })
    await expect(store.get('k')).rejects.toThrow(/not open/)
    const file = join(root, 'file')
    await writeFile(file, '')
    await expect(new LevelKeyStore({ path: file }).open()).rejects.toThrow()
  })
})
