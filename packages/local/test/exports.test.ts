import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAsPlainNode } from '@strata/testkit'
import { describe, expect, it } from 'vitest'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')

// (its dependencies resolve through the package's own node_modules, as after an install).
const script = `
import { LevelKeyStore, MemoryKeyStore, NotFoundError } from '@strata/local/keystore'
import { RetrievalJournal, decodeEntry } from '@strata/local/journal'
import { invoke, Receipt } from '@ucanto/core'
import { ed25519 } from '@ucanto/principal'
import { CarReader } from '@ipld/car'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = await mkdtemp(join(tmpdir(), 'strata-local-esm-'))
const keys = new LevelKeyStore({ path: join(dir, 'wallet') })
await keys.open()
const signer = await ed25519.generate()
await keys.put('identity', signer.encode())
const sameDid = ed25519.decode(await keys.get('identity')).did() === signer.did()
const missing = await keys.get('nope').catch((error) => error instanceof NotFoundError)
await keys.close()

const journal = new RetrievalJournal({ path: join(dir, 'journal') })
await journal.open()
const ran = await invoke({ issuer: signer, audience: signer, capability: { can: 'space/content/retrieve', with: signer.did() } }).delegate()
const receipt = await Receipt.issue({ issuer: signer, ran, result: { ok: {} } })
await journal.append(receipt)
const batch = await journal.forceRotate()
const reader = await CarReader.fromIterable((await journal.getBatch(batch)).body)
const read = []
for await (const block of reader.blocks()) read.push(decodeEntry(block).link().toString())
await journal.close()
console.log(JSON.stringify({ sameDid, missing, same: read[0] === receipt.link().toString(), memory: MemoryKeyStore.name }))
`

describe('package exports', () => {
  it('are importable from a plain Node ESM script', async () => {
    const stdout = await runAsPlainNode({
      name: '@strata/local',
      packageDir,
      alongside: ['@ucanto/core', '@ucanto/principal', '@ipld/car'],
      script,
    })
    expect(JSON.parse(stdout.trim())).toEqual({
      sameDid: true,
      missing: true,
      same: true,
      memory: 'MemoryKeyStore',
    })
  })
})
