import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { SHARD_ID, shardOf } from '@strata/objectstore/flatfs/layout'
import { objectStoreSuite, readAll, utf8 } from '@strata/objectstore/testing'
import { base32 } from 'multiformats/bases/base32'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const tempDir = () => mkdtemp(join(tmpdir(), 'strata-flatfs-'))

let root = ''
objectStoreSuite('flatfs', {
  create: async () => {
    root = await tempDir()
    const store = new FlatfsObjectStore({ path: root })
    await store.open()
    return store
  },
  destroy: async (store) => {
    await store.close()
    await rm(root, { recursive: true, force: true })
  },
})

objectStoreSuite('flatfs (fsync)', {
  create: async () => {
    const store = new FlatfsObjectStore({ path: join(await tempDir(), 'store'), fsync: true })
    await store.open()
    return store
  },
})

describe('FlatfsObjectStore layout', () => {
  let dir = ''
  let store: FlatfsObjectStore
  beforeEach(async () => {
    dir = await tempDir()
    store = new FlatfsObjectStore({ path: dir })
    await store.open()
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('writes exactly the Piri layout: SHARDING, _README and <shard>/<key>.data', async () => {
    expect(await readFile(join(dir, 'SHARDING'), 'utf8')).toBe('/repo/flatfs/shard/v1/next-to-last/2\n')
    const readme = await readFile(join(dir, '_README'), 'utf8')
    expect(readme).toContain('next-to-last two characters')
    expect((await stat(join(dir, '_README'))).mode & 0o777).toBe(0o444)

    const digest = await sha256.digest(utf8('hello world'))
    const key = base32.encode(digest.bytes).slice(1)
    expect(key).toBe('ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i')
    await store.put(key, 11, utf8('hello world'))
    const path = join(dir, '32', 'ciqlstjhxgju2pqiuuxffv62pwv7vree57rxuu4a52iir55m4lx432i.data')
    expect(await readFile(path, 'utf8')).toBe('hello world')
    // `.lock` (the holder's pid) exists while the store is open, and goes with `close()`.
    expect((await readdir(dir)).sort()).toEqual(['.lock', '.temp', '32', 'SHARDING', '_README'])
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(`${process.pid}\n`)
    await store.close()
    expect((await readdir(dir)).sort()).toEqual(['.temp', '32', 'SHARDING', '_README'])
  })

  it('shards by the two characters before the last, padding short keys with _', () => {
    expect(shardOf('abcd')).toBe('bc')
    expect(shardOf('abc')).toBe('ab')
    expect(shardOf('ab')).toBe('_a')
    expect(shardOf('a')).toBe('__')
  })

  it('refuses keys outside [0-9a-z+-_=] with InvalidKeyError, so no path can escape the root', async () => {
    for (const key of ['', 'ABC', '../etc', 'a/b', 'a.b', 'a b', '%2e%2e', 'x'.repeat(251)]) {
      await expect(store.put(key, 1, utf8('x'))).rejects.toMatchObject({ name: 'InvalidKeyError', key })
      await expect(store.get(key)).rejects.toMatchObject({ name: 'InvalidKeyError' })
      await expect(store.has(key)).rejects.toMatchObject({ name: 'InvalidKeyError' })
      await expect(store.delete(key)).rejects.toMatchObject({ name: 'InvalidKeyError' })
    }
    await store.put('x'.repeat(250), 1, utf8('x'))
  })

  it('leaves nothing in .temp after failed writes', async () => {
    await expect(store.put('abc', 5, utf8('abc'))).rejects.toMatchObject({ name: 'TooSmallError' })
    await expect(store.put('abc', 1, utf8('abc'))).rejects.toMatchObject({ name: 'TooLargeError' })
    expect(await readdir(join(dir, '.temp'))).toEqual([])
  })

  it('empties .temp at open and keeps stored objects across reopen', async () => {
    await store.put('kept', 4, utf8('kept'))
    await store.close()
    await writeFile(join(dir, '.temp', 'put-interrupted'), 'partial')
    const reopened = new FlatfsObjectStore({ path: dir })
    await reopened.open()
    expect(await readdir(join(dir, '.temp'))).toEqual([])
    expect(Buffer.from(await readAll((await reopened.get('kept')).body)).toString()).toBe('kept')
  })

  it('refuses a non-empty directory without SHARDING', async () => {
    const foreign = await tempDir()
    await writeFile(join(foreign, 'precious.txt'), 'not ours')
    await expect(new FlatfsObjectStore({ path: foreign }).open()).rejects.toMatchObject({
      name: 'FlatfsLayoutError',
    })
    expect(await readdir(foreign)).toEqual(['precious.txt'])
  })

  it('refuses a directory with another shard function', async () => {
    const other = await tempDir()
    await writeFile(join(other, 'SHARDING'), '/repo/flatfs/shard/v1/prefix/2\n')
    await expect(new FlatfsObjectStore({ path: other }).open()).rejects.toMatchObject({
      name: 'FlatfsLayoutError',
      message: expect.stringContaining(SHARD_ID),
    })
  })

  it('opens a js-stores datastore-fs directory (SHARDING.data) and reads its objects', async () => {
    const js = await tempDir()
    // What js-stores' datastore-fs writes: the shard function as the datastore key /SHARDING.
    await writeFile(join(js, 'SHARDING.data'), `${SHARD_ID}\n`)
    await mkdir(join(js, 'bc'))
    await writeFile(join(js, 'bc', 'abcd.data'), 'from js')
    const opened = new FlatfsObjectStore({ path: js })
    await opened.open()
    try {
      expect(Buffer.from(await readAll((await opened.get('abcd')).body)).toString()).toBe('from js')
      await opened.put('wxyz', 3, utf8('new'))
      expect(await readFile(join(js, 'xy', 'wxyz.data'), 'utf8')).toBe('new')
      // No second shard file is written beside it.
      expect((await readdir(js)).filter((name) => name.startsWith('SHARDING'))).toEqual(['SHARDING.data'])
    } finally {
      await opened.close()
    }
    const other = await tempDir()
    await writeFile(join(other, 'SHARDING.data'), '/repo/flatfs/shard/v1/suffix/2\n')
    await expect(new FlatfsObjectStore({ path: other }).open()).rejects.toMatchObject({
      name: 'FlatfsLayoutError',
      message: expect.stringContaining('SHARDING.data'),
    })
  })

  it('lists only .data files in shard directories whose shard matches', async () => {
    await store.put('abcd', 1, utf8('x'))
    await writeFile(join(dir, 'bc', 'notes.txt'), 'ignored')
    await mkdir(join(dir, 'zz'))
    await writeFile(join(dir, 'zz', 'abcd.data'), 'misplaced')
    const keys: string[] = []
    for await (const key of store.list()) keys.push(key)
    expect(keys).toEqual(['abcd'])
  })

  it('reads the new bytes after an overwrite, a move or a delete of a file it keeps open', async () => {
    await store.put('cached', 3, utf8('one'))
    const text = async (key: string) => Buffer.from(await readAll((await store.get(key)).body)).toString()
    expect(await text('cached')).toBe('one')
    await store.put('cached', 3, utf8('two'))
    expect(await text('cached')).toBe('two')
    await store.put('other', 5, utf8('three'))
    expect(await text('other')).toBe('three')
    await store.move('other', 'cached')
    expect(await text('cached')).toBe('three')
    await store.delete('cached')
    await expect(store.get('cached')).rejects.toMatchObject({ name: 'NotFoundError' })
  })

  it('keeps at most openFiles files open, and closes them all at close()', async () => {
    const openFds = async () => (await readdir('/proc/self/fd')).length
    const small = new FlatfsObjectStore({ path: await tempDir(), openFiles: 8 })
    await small.open()
    const before = await openFds()
    for (let i = 0; i < 40; i++) await small.put(`k${i}`, 1, utf8('x'))
    for (let i = 0; i < 40; i++) await readAll((await small.get(`k${i}`)).body)
    expect((await openFds()) - before).toBeLessThanOrEqual(8)
    await small.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await openFds()).toBeLessThanOrEqual(before)
  })

  it('reuses a read buffer given back with recycle, once, and never one still out', async () => {
    const bytes = new Uint8Array(randomBytes(1024 * 1024))
    await store.put('pooled', bytes.length, bytes)
    const read = (start: number, end: number) => store.get('pooled', { range: { start, end } })
    const first = await read(0, 65_535)
    const second = await read(65_536, 131_071)
    expect(first.bytes?.buffer).not.toBe(second.bytes?.buffer) // both out: never shared
    const memory = first.bytes?.buffer
    first.recycle?.(first.bytes as Uint8Array)
    first.recycle?.(first.bytes as Uint8Array) // twice: ignored
    first.recycle?.(new Uint8Array(65_536)) // not the store's: ignored
    const third = await read(1000, 60_999) // the same size class (64 KiB)
    expect(third.bytes?.buffer).toBe(memory)
    const fourth = await read(1000, 60_999)
    expect(fourth.bytes?.buffer).not.toBe(memory) // given back once, handed out once
    for (const [result, start] of [
      [second, 65_536],
      [third, 1000],
      [fourth, 1000],
    ] as const) {
      expect(Buffer.from(result.bytes as Uint8Array)).toEqual(
        Buffer.from(bytes.subarray(start, start + (result.bytes as Uint8Array).byteLength)),
      )
    }
    // a streamed read's chunks come back the same way
    const streamed = await store.get('pooled', { range: { start: 0 } })
    for await (const chunk of streamed.body) {
      expect(chunk.byteLength).toBe(256 * 1024)
      streamed.recycle?.(chunk)
    }
    const again = await store.get('pooled', { range: { start: 0, end: 200_000 } })
    expect(Buffer.from(again.bytes as Uint8Array)).toEqual(Buffer.from(bytes.subarray(0, 200_001)))
  })

  it('refuses use before open()', async () => {
    const closed = new FlatfsObjectStore({ path: dir })
    await expect(closed.get('abc')).rejects.toThrow(/not open/)
  })

  it('releases the file when a read is aborted midway', async () => {
    const bytes = new Uint8Array(4 * 1024 * 1024).fill(7)
    await store.put('big', bytes.length, bytes)
    const controller = new AbortController()
    const { body } = await store.get('big', { signal: controller.signal })
    const read = async () => {
      for await (const _chunk of body) controller.abort()
    }
    await expect(read()).rejects.toMatchObject({ name: 'AbortError' })
  })
})
