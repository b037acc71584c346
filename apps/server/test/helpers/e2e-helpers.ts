/**
 * Plain HTTP client helpers for the end-to-end tests (`e2e-*.test.ts`): the same flow as
 * `strata put` / `strata get` (POST /allocations with the bearer token, then a streamed PUT to the
 * presigned URL with exactly its signed headers), over `node:http` so request bodies stream with
 * the signed `content-length` and nothing is buffered.
 */
import { createHash, randomBytes } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { invoke, Receipt } from '@ucanto/core'
import { ed25519 } from '@ucanto/principal'
import { base58btc } from 'multiformats/bases/base58'
import { create as createDigest } from 'multiformats/hashes/digest'

/** A response whose body was read whole (small bodies only). */
export interface Answer {
  status: number
  headers: IncomingMessage['headers']
  body: Buffer
}

/** Sends a request, the body streamed from `body`; answers the response, read whole. */
export function send(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: AsyncIterable<Uint8Array> | string | Uint8Array,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) req.end(body)
    else pipeline(Readable.from(body), req).catch(reject)
  })
}

/**
 * GETs `url` and hashes the body while it arrives (never held): answers the status, headers, the
 * sha256 (hex) and the byte count.
 */
export function hashedGet(
  url: string,
  headers: Record<string, string> = {},
  onChunk?: (bytes: number) => void,
): Promise<{ status: number; headers: IncomingMessage['headers']; sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers, agent: false }, (res: IncomingMessage) => {
      const hash = createHash('sha256')
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk)
        bytes += chunk.length
        onChunk?.(bytes)
      })
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, sha256: hash.digest('hex'), bytes }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The `z…` (base58btc) sha2-256 multihash of a hex sha256. */
export function zDigest(sha256Hex: string): string {
  return base58btc.encode(createDigest(0x12, Buffer.from(sha256Hex, 'hex')).bytes)
}

/** What `POST /allocations` answers with 201. */
export interface Allocation {
  allocated: boolean
  url?: string
  headers?: Record<string, string>
  expiresAt?: number | string
}

/**
 * `POST <base>/allocations` with the bearer token.
 * @throws {Error} on any status but 200/201.
 */
export async function allocate(
  base: string,
  token: string,
  space: string,
  digest: string,
  size: number,
): Promise<{ status: number; allocation: Allocation }> {
  const res = await send(
    `${base}/allocations`,
    'POST',
    { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    JSON.stringify({ space, blob: { digest, size } }),
  )
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`POST /allocations: ${res.status} ${res.body.toString()}`)
  return { status: res.status, allocation: JSON.parse(res.body.toString()) as Allocation }
}

/** `length` pseudo-random bytes from `seed` (xorshift32 words): the same for the same seed. */
export function xorshiftBytes(seed: number, length: number): Buffer {
  const words = new Uint32Array(Math.ceil(length / 4))
  let state = seed >>> 0 || 1
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    words[i] = state
  }
  return Buffer.from(words.buffer, 0, length)
}

/**
 * A deterministic stream of `total` bytes: a pseudo-random template of `chunkSize` bytes
 * (xorshift32 from `seed`) copied into each fresh chunk with the chunk's index stamped into its
 * first 4 bytes, so no two chunks are equal, every call yields the same bytes, and the stream is
 * never held whole.
 */
export function deterministicStream(
  total: number,
  seed: number,
  chunkSize = 1024 * 1024,
): () => AsyncGenerator<Uint8Array> {
  const bytes = xorshiftBytes(seed, chunkSize)
  return async function* stream() {
    for (let offset = 0, index = 0; offset < total; offset += chunkSize, index++) {
      const chunk = Buffer.from(bytes.subarray(0, Math.min(chunkSize, total - offset)))
      if (chunk.length >= 4) chunk.writeUInt32BE(index >>> 0, 0)
      yield chunk
    }
  }
}

/** sha256 (hex) and length of a stream, consumed chunk by chunk. */
export async function hashStream(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of stream) {
    hash.update(chunk)
    bytes += chunk.byteLength
  }
  return { sha256: hash.digest('hex'), bytes }
}

/** A small blob held in memory: random bytes, their sha256 (hex) and `z…` digest. */
export interface MemoryBlob {
  bytes: Buffer
  sha256: string
  z: string
}

/** A {@link MemoryBlob} of `size` random bytes. */
export function memoryBlob(size: number): MemoryBlob {
  const bytes = randomBytes(size)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  return { bytes, sha256, z: zDigest(sha256) }
}

const receiptIssuer = await ed25519.generate()

/** A real ucanto receipt of a `space/content/retrieve` invocation, unique per `n` (what the journal holds). */
export async function retrievalReceipt(n: number, issuer: typeof receiptIssuer = receiptIssuer) {
  const ran = await invoke({
    issuer,
    audience: issuer,
    capability: { can: 'space/content/retrieve', with: issuer.did(), nb: { range: [0, n] } },
    nonce: String(n),
  }).delegate()
  return Receipt.issue({ issuer, ran, result: { ok: {} } })
}
