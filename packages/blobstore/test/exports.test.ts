import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAsPlainNode } from '@strata/testkit'
import { describe, expect, it } from 'vitest'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')

// A user's plain Node ESM script, outside the monorepo's tooling, importing the built package.
const script = `
import { VerifiedBlobStore, DigestMismatchError, FlatfsKeyEncoder } from '@strata/blobstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { sha256 } from 'multiformats/hashes/sha2'
import { join } from 'node:path'

const backend = new FlatfsObjectStore({ path: join(process.cwd(), 'blobs') })
await backend.open()
const blobs = new VerifiedBlobStore({ backend })
const bytes = new TextEncoder().encode('hello world')
const digest = await sha256.digest(bytes)
const first = await blobs.put(digest, bytes.length, bytes)
const again = await blobs.put(digest, bytes.length, bytes)
const { size, body } = await blobs.get(digest, { range: { start: 6 } })
let text = ''
for await (const chunk of body) text += Buffer.from(chunk).toString()
const wrong = await new VerifiedBlobStore({ backend: new MemoryObjectStore() })
  .put(await sha256.digest(new Uint8Array(1)), 11, bytes)
  .catch((error) => error instanceof DigestMismatchError)
const key = new FlatfsKeyEncoder().encode(digest)
console.log(JSON.stringify({ first, again, size, text, wrong, key }))
console.log(import.meta.resolve('@strata/blobstore/testing'))
`

describe('package exports', () => {
  it('are importable from a plain Node ESM script', async () => {
    const stdout = await runAsPlainNode({
      name: '@strata/blobstore',
      packageDir,
      alongside: ['@strata/objectstore', 'multiformats'],
      script,
    })
    const [result, testing] = stdout.trim().split('\n')
    expect(JSON.parse(result ?? '')).toEqual({
      first: { created: true },
      again: { created: false },
      size: 11,
      text: 'world',
      wrong: true,
      key: '32/ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i.data',
    })
    expect(testing).toMatch(/blobstore\/dist\/testing\/index\.js$/)
  })
})
