import { createCipheriv, createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VerifiedBlobStore } from '@strata/blobstore'
import { CarStore } from '@strata/car'
import { LevelBlockIndex } from '@strata/car/level'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { LevelObjectStore } from '@strata/objectstore/level'
import { LevelDatastore } from 'datastore-level'
import type { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StrataBlockstore } from '../src/index.js'

const MiB = 1024 * 1024
const nodeMajor = Number(process.versions.node.split('.')[0])

/** 50 MiB of deterministic, incompressible-looking bytes, in 1 MiB chunks, hashed as they go. */
function fiftyMiB(): { chunks: () => AsyncGenerator<Uint8Array>; sha256: () => string } {
  const hash = createHash('sha256')
  return {
    async *chunks() {
      // an AES-CTR keystream: fast, deterministic, and every block of the file distinct
      const stream = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16))
      for (let i = 0; i < 50; i++) {
        const chunk = stream.update(Buffer.alloc(MiB))
        hash.update(chunk)
        yield chunk
      }
    },
    sha256: () => hash.digest('hex'),
  }
}

/** A Helia node over strata on disk (flatfs blobs, LevelDB block index, records and Helia's datastore). */
async function startNode(dir: string) {
  const { createHeliaLight } = await import('helia')
  const backend = new FlatfsObjectStore({ path: join(dir, 'blobs') })
  const index = new LevelBlockIndex({ path: join(dir, 'blocks') })
  const records = new LevelObjectStore({ path: join(dir, 'cars') })
  const datastore = new LevelDatastore(join(dir, 'datastore'))
  await Promise.all([backend.open(), index.open(), records.open(), datastore.open()])
  const blobs = new VerifiedBlobStore({ backend })
  const blockstore = new StrataBlockstore({ blobs, cars: new CarStore({ blobs, index, records }) })
  const helia = createHeliaLight({ blockstore, datastore })
  await helia.start()
  return {
    helia,
    blobs,
    async stop() {
      await helia.stop()
      await Promise.all([backend.close(), index.close(), records.close(), datastore.close()])
    },
  }
}

async function catSha256(helia: Parameters<typeof import('@helia/unixfs').unixfs>[0], cid: CID) {
  const { unixfs } = await import('@helia/unixfs')
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of unixfs(helia).cat(cid)) {
    hash.update(chunk)
    bytes += chunk.byteLength
  }
  return { bytes, sha256: hash.digest('hex') }
}

// helia 7 fails at import on Node 20 (its undici 8 needs Node >= 22.19): CI runs this file on Node 22 and 24.
describe.skipIf(nodeMajor < 22)('a Helia 7 node (@helia/unixfs) on StrataBlockstore over flatfs', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-helia-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('adds a 50 MiB file, reads it back, restarts on the same directory and reads it again', async () => {
    const { unixfs } = await import('@helia/unixfs')
    const source = fiftyMiB()
    const first = await startNode(dir)
    let cid: CID
    let expected: string
    try {
      cid = await unixfs(first.helia).addByteStream(source.chunks())
      expected = source.sha256()
      expect(await catSha256(first.helia, cid)).toEqual({ bytes: 50 * MiB, sha256: expected })
      // the blocks are strata blobs: 50 MiB of leaves and the file's root (at least)
      let blobs = 0
      for await (const _ of first.blobs.list()) blobs++
      expect(blobs).toBeGreaterThan(50)
    } finally {
      await first.stop()
    }
    const second = await startNode(dir)
    try {
      expect(await catSha256(second.helia, cid)).toEqual({ bytes: 50 * MiB, sha256: expected })
    } finally {
      await second.stop()
    }
  })
})
