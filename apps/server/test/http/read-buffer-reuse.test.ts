/**
 * flatfs hands its read buffers out again once the socket has taken them (`ObjectResult.recycle`,
 * called from the socket writer's write callbacks). A buffer given back too early would send one
 * reader another's bytes; so many concurrent readers, some slow (their writes wait in the socket),
 * some leaving midway, read random ranges and whole blobs, and every byte they get is checked.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VerifiedBlobStore } from '@strata/blobstore'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { base58btc } from 'multiformats/bases/base58'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { blobSocketReads } from '../../src/http/index.js'

const SIZE = 12 * 1024 * 1024 + 17
const BLOB = randomBytes(SIZE)
let dir: string
let store: FlatfsObjectStore
let server: Server
let port: number
let path: string
let recycled = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-reuse-'))
  store = new FlatfsObjectStore({ path: dir })
  await store.open()
  const blobs = new VerifiedBlobStore({ backend: store })
  const digest = await sha256.digest(BLOB)
  await blobs.put(digest, SIZE, BLOB)
  path = `/blob/${base58btc.encode(digest.bytes)}`
  // counts what comes back, so the test knows reuse happened
  const counted = {
    ...blobs,
    get: async (...args: Parameters<typeof blobs.get>) => {
      const result = await blobs.get(...args)
      const give = result.recycle
      if (give !== undefined)
        result.recycle = (chunk) => {
          recycled++
          give(chunk)
        }
      return result
    },
  } as unknown as VerifiedBlobStore
  const fast = blobSocketReads({ blobs: counted, record: () => {} })
  server = createServer((req, res) => {
    if (!fast(req, res)) res.writeHead(599).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  port = (server.address() as AddressInfo).port
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await store.close()
  await rm(dir, { recursive: true, force: true })
})

interface Got {
  status: number
  body: Buffer
}

/** One GET; `slow` pauses the response now and then, `leave` stops reading and goes after the first chunk. */
function get(
  agent: Agent,
  range: string | undefined,
  mode: 'fast' | 'slow' | 'leave',
): Promise<Got | undefined> {
  return new Promise((resolve, reject) => {
    const headers = range === undefined ? {} : { Range: range }
    const req = request({ port, path, headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        if (mode === 'leave') {
          req.destroy()
          resolve(undefined)
        } else if (mode === 'slow' && chunks.length % 64 === 1) {
          // long enough for the socket buffers to fill and the server's writes to wait
          res.pause()
          setTimeout(() => res.resume(), 100)
        }
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
    })
    req.on('error', (error) => (mode === 'leave' ? resolve(undefined) : reject(error)))
    req.end()
  })
}

it('sends every reader exactly its bytes while buffers are reused under concurrency', async () => {
  let checked = 0
  const check = (got: Got | undefined, start: number, length: number, whole: boolean) => {
    if (got === undefined) return
    expect(got.status).toBe(whole ? 200 : 206)
    expect(got.body.equals(whole ? BLOB : BLOB.subarray(start, start + length))).toBe(true)
    checked++
  }
  /** Slow readers of the whole blob: their 256 KiB chunks wait in the socket. */
  const slow = async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    for (let i = 0; i < 3; i++) check(await get(agent, undefined, 'slow'), 0, SIZE, true)
    agent.destroy()
  }
  /** Fast readers of ranges in the same size classes, some leaving midway. */
  const fast = async (n: number) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    for (let i = 0; i < 40; i++) {
      const leave = (n + i) % 7 === 0
      const length = 1 + Math.floor(Math.random() * (i % 2 === 0 ? 300_000 : 70_000))
      const start = Math.floor(Math.random() * (SIZE - length))
      const got = await get(
        leave ? new Agent() : agent,
        `bytes=${start}-${start + length - 1}`,
        leave ? 'leave' : 'fast',
      )
      check(got, start, length, false)
    }
    agent.destroy()
  }
  await Promise.all([...Array.from({ length: 4 }, slow), ...Array.from({ length: 12 }, (_, n) => fast(n))])
  expect(checked).toBeGreaterThan(300)
  expect(recycled).toBeGreaterThan(checked)
})
