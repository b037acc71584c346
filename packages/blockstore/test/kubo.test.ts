import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cborBlock, rawBlock } from '@strata/car/testing/data'
import { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KuboKeyEncoder, openKuboBlockstore } from '../src/kubo/index.js'

const bytesOf = (text: string) => new TextEncoder().encode(text)

async function all<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise
  } catch (error) {
    return error as Error & Record<string, unknown>
  }
  throw new Error('expected a rejection')
}

/**
 * A `blocks/` directory laid out by hand exactly as Kubo (go-ds-flatfs) writes it: `SHARDING`,
 * `_README`, `diskUsage.cache`, and `<next-to-last 2>/<BASE32UPPER multihash>.data` per block.
 */
async function kuboBlocks(dir: string, blocks: { key: string; shard: string; bytes: Uint8Array }[]) {
  await writeFile(join(dir, 'SHARDING'), '/repo/flatfs/shard/v1/next-to-last/2\n')
  await writeFile(join(dir, '_README'), 'This is a repository of IPLD objects.\n')
  await writeFile(join(dir, 'diskUsage.cache'), '{"diskUsage":1234,"accuracy":"initial-exact"}\n')
  for (const { key, shard, bytes } of blocks) {
    await mkdir(join(dir, shard), { recursive: true })
    await writeFile(join(dir, shard, `${key}.data`), bytes)
  }
}

describe('a Kubo repository blocks/ directory, read only', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-kubo-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('encodes keys as Kubo does: upper-case base32 multihash, no multibase prefix', () => {
    const hello = rawBlock(bytesOf('hello world'))
    const key = new KuboKeyEncoder().encode(hello.cid.multihash)
    // `ipfs block put` of "hello world" is stored at blocks/32/CIQLSTJHXGJU2PQIUUXFFV62PWV7VREE57RXUU4A52IIR55M4LX432I.data
    expect(key).toBe('CIQLSTJHXGJU2PQIUUXFFV62PWV7VREE57RXUU4A52IIR55M4LX432I')
    expect(new KuboKeyEncoder().decode(key).bytes).toEqual(hello.cid.multihash.bytes)
    expect(() => new KuboKeyEncoder().decode(key.toLowerCase())).toThrow(/invalid key/)
    expect(() => new KuboKeyEncoder().decode(`B${key}`)).toThrow()
  })

  it('reads every block (CIDv0 and CIDv1, any codec) verified, lists them, refuses writes', async () => {
    const hello = rawBlock(bytesOf('hello world'))
    const node = cborBlock({ link: hello.cid, n: 1 })
    await kuboBlocks(dir, [
      { key: 'CIQLSTJHXGJU2PQIUUXFFV62PWV7VREE57RXUU4A52IIR55M4LX432I', shard: '32', bytes: hello.bytes },
      ...[node].map((block) => {
        const key = new KuboKeyEncoder().encode(block.cid.multihash)
        return { key, shard: key.slice(-3, -1), bytes: block.bytes }
      }),
    ])
    const kubo = await openKuboBlockstore({ path: dir })
    const { blockstore } = kubo
    const v0 = CID.createV0(hello.cid.multihash as MultihashDigest<0x12>)
    for (const cid of [hello.cid, v0]) {
      expect(await blockstore.has(cid)).toBe(true)
      expect(await all(blockstore.get(cid))).toEqual([hello.bytes])
    }
    expect(await all(blockstore.get(node.cid))).toEqual([node.bytes])
    const listed = (await all(blockstore.getAll())).map((pair) => pair.cid.multihash.bytes)
    expect(listed).toHaveLength(2)
    expect(listed).toContainEqual(node.cid.multihash.bytes)
    const missing = rawBlock(bytesOf('not in the repo'))
    expect(await blockstore.has(missing.cid)).toBe(false)
    expect((await rejectionOf(all(blockstore.get(missing.cid)))).name).toBe('NotFoundError')
    expect((await rejectionOf(blockstore.put(missing.cid, missing.bytes))).name).toBe('ReadOnlyError')
    expect((await rejectionOf(blockstore.delete(hello.cid))).name).toBe('ReadOnlyError')
    await kubo.close()
  })

  it('refuses a block whose file was changed (same length), and never writes to the directory', async () => {
    const hello = rawBlock(bytesOf('hello world'))
    await kuboBlocks(dir, [
      {
        key: 'CIQLSTJHXGJU2PQIUUXFFV62PWV7VREE57RXUU4A52IIR55M4LX432I',
        shard: '32',
        bytes: bytesOf('hello WORLD'),
      },
    ])
    const { readdir } = await import('node:fs/promises')
    const before = (await readdir(dir)).sort()
    const kubo = await openKuboBlockstore({ path: dir })
    expect((await rejectionOf(all(kubo.blockstore.get(hello.cid)))).name).toBe('DigestMismatchError')
    await kubo.close()
    expect((await readdir(dir)).sort()).toEqual(before)
  })

  it('refuses a directory that is not a Kubo blocks directory', async () => {
    const error = await rejectionOf(openKuboBlockstore({ path: dir }))
    expect(error).toMatchObject({ name: 'FlatfsLayoutError' })
    expect(error.message).toMatch(/no SHARDING file/)
    await writeFile(join(dir, 'SHARDING'), '/repo/flatfs/shard/v1/suffix/2\n')
    expect((await rejectionOf(openKuboBlockstore({ path: dir }))).message).toMatch(/is not \/repo\/flatfs/)
  })
})
