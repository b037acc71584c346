import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAsPlainNode } from '@strata/testkit'
import { describe, expect, it } from 'vitest'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')

// A user's plain Node ESM script, outside the monorepo's tooling, importing the built package.
const script = `
import { StrataBlockstore, NotFoundError, ReadOnlyError } from '@strata/blockstore'
import { KuboKeyEncoder, openKuboBlockstore } from '@strata/blockstore/kubo'
import { VerifiedBlobStore } from '@strata/blobstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'

const store = new StrataBlockstore({ blobs: new VerifiedBlobStore({ backend: new MemoryObjectStore() }) })
const bytes = new TextEncoder().encode('hello world')
const cid = CID.createV1(raw.code, await sha256.digest(bytes))
await store.put(cid, bytes)
const chunks = []
for await (const chunk of store.get(CID.createV0(cid.multihash))) chunks.push(chunk)
await store.delete(cid)
const missing = await (async () => { for await (const _ of store.get(cid)); })().catch((e) => e instanceof NotFoundError)
console.log(JSON.stringify({
  read: new TextDecoder().decode(chunks[0]),
  missing,
  kuboKey: new KuboKeyEncoder().encode(cid.multihash),
  kubo: typeof openKuboBlockstore,
  readOnly: new ReadOnlyError('put').name,
}))
`

describe('package exports', () => {
  it('are importable from a plain Node ESM script', async () => {
    const stdout = await runAsPlainNode({
      name: '@strata/blockstore',
      packageDir,
      alongside: ['@strata/blobstore', '@strata/objectstore', 'multiformats'],
      script,
    })
    expect(JSON.parse(stdout)).toEqual({
      read: 'hello world',
      missing: true,
      kuboKey: 'CIQLSTJHXGJU2PQIUUXFFV62PWV7VREE57RXUU4A52IIR55M4LX432I',
      kubo: 'function',
      readOnly: 'ReadOnlyError',
    })
  })
})
