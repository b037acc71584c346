import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAsPlainNode } from '@strata/testkit'
import { describe, expect, it } from 'vitest'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')

// A user's plain Node ESM script, outside the monorepo's tooling, importing the built package.
const script = `
import { NotFoundError } from '@strata/objectstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { DatastoreObjectStore } from '@strata/objectstore/datastore'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const store = new FlatfsObjectStore({ path: await mkdtemp(join(tmpdir(), 'strata-esm-')) })
await store.open()
await store.put('abc', 5, new TextEncoder().encode('hello'))
const { size, body } = await store.get('abc', { range: { start: 1, end: 3 } })
let text = ''
for await (const chunk of body) text += Buffer.from(chunk).toString()
const missing = await store.get('zzz').catch((error) => error instanceof NotFoundError)
console.log(JSON.stringify({ size, text, missing, classes: [MemoryObjectStore, DatastoreObjectStore, MinioObjectStore].map((c) => c.name) }))
console.log(import.meta.resolve('@strata/objectstore/testing'))
`

describe('package exports', () => {
  it('are importable from a plain Node ESM script', async () => {
    const stdout = await runAsPlainNode({ name: '@strata/objectstore', packageDir, script })
    const [result, testing] = stdout.trim().split('\n')
    expect(JSON.parse(result ?? '')).toEqual({
      size: 5,
      text: 'ell',
      missing: true,
      classes: ['MemoryObjectStore', 'DatastoreObjectStore', 'MinioObjectStore'],
    })
    expect(testing).toMatch(/objectstore\/dist\/testing\/index\.js$/)
  })
})
