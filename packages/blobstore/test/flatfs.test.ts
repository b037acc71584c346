import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { STAGING_PREFIX, VerifiedBlobStore } from '@strata/blobstore'
import { blobStoreSuite, digestOf } from '@strata/blobstore/testing'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { shardOf } from '@strata/objectstore/flatfs/layout'
import { chunked, listKeys, utf8 } from '@strata/objectstore/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const MiB = 1024 * 1024
let root = ''
let backend: FlatfsObjectStore | undefined

blobStoreSuite('flatfs (Base32 keys)', {
  create: async () => {
    root = await mkdtemp(join(tmpdir(), 'strata-blobs-'))
    backend = new FlatfsObjectStore({ path: root })
    await backend.open()
    return new VerifiedBlobStore({ backend })
  },
  destroy: async () => {
    await backend?.close()
    await rm(root, { recursive: true, force: true })
  },
  staging: () => listKeys(backend as FlatfsObjectStore, STAGING_PREFIX),
  // Streams through: a few MiB of buffers whatever the blob size.
  supports: { largeBlobSize: 256 * MiB, maxMemoryGrowth: 32 * MiB },
})

describe('VerifiedBlobStore on flatfs', () => {
  let dir = ''
  let store: FlatfsObjectStore
  let blobs: VerifiedBlobStore
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-blobs-'))
    store = new FlatfsObjectStore({ path: dir })
    await store.open()
    blobs = new VerifiedBlobStore({ backend: store })
  })
  afterAll(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('writes the Piri file for a blob: <shard>/<base32>.data', async () => {
    await blobs.put(digestOf(utf8('hello world')), 11, utf8('hello world'))
    const path = join(dir, '32', 'ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i.data')
    expect(await readFile(path, 'utf8')).toBe('hello world')
  })

  it('does not rewrite a stored blob: same inode, same mtime', async () => {
    const bytes = utf8('stored once')
    const digest = digestOf(bytes)
    await blobs.put(digest, bytes.length, bytes)
    const key = blobs.keyOf(digest)
    const file = join(dir, shardOf(key), `${key}.data`)
    const before = await stat(file)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await blobs.put(digest, bytes.length, bytes)).toEqual({ created: false })
    const after = await stat(file)
    expect(after.ino).toBe(before.ino)
    expect(after.mtimeMs).toBe(before.mtimeMs)
  })

  it('leaves no temporary file behind a mismatching put', async () => {
    const bytes = new Uint8Array(3 * MiB).fill(1)
    const wrong = digestOf(new Uint8Array(3 * MiB).fill(2))
    await expect(blobs.put(wrong, bytes.length, chunked(bytes, MiB))).rejects.toMatchObject({
      name: 'DigestMismatchError',
    })
    expect(await readdir(join(dir, '.temp'))).toEqual([])
    expect(await blobs.has(wrong)).toBe(false)
  })
})
