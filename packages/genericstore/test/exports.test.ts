import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAsPlainNode } from '@strata/testkit'
import { describe, expect, it } from 'vitest'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')

// A user's plain Node ESM script, outside the monorepo's tooling, importing the built package.
const script = `
import { DecodeError, GenericStore, dagCborCodec, jsonCodec } from '@strata/genericstore'
import { MemoryObjectStore } from '@strata/objectstore/memory'

const backend = new MemoryObjectStore()
const records = new GenericStore({ backend, codec: dagCborCodec(), namespace: 'records' })
await records.put('a/1', { n: 1 })
await records.put('a/2', { n: 2 })
const listed = []
for await (const value of records.list('a/')) listed.push(value.n)
const bad = await new GenericStore({ backend, codec: jsonCodec(), namespace: 'records' })
  .get('a/1')
  .catch((error) => error instanceof DecodeError && error.codec)
console.log(JSON.stringify({ one: await records.get('a/1'), listed: listed.sort(), bad }))
`

describe('package exports', () => {
  it('are importable from a plain Node ESM script', async () => {
    const stdout = await runAsPlainNode({
      name: '@strata/genericstore',
      packageDir,
      alongside: ['@strata/objectstore'],
      script,
    })
    expect(JSON.parse(stdout)).toEqual({ one: { n: 1 }, listed: [1, 2], bad: 'json' })
  })
})
