/** Shared set-up of the `http-write-*` tests: a started container, the write + read routes, a fake clock. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ed25519 } from '@ucanto/principal'
import { base58btc } from 'multiformats/bases/base58'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import { afterEach, beforeEach, expect } from 'vitest'
import { createApp, type StrataApp } from '../../src/app.js'
import { configSchema } from '../../src/config/index.js'
import { type Cradle, createContainer, type StrataContainer } from '../../src/container/index.js'
import { checksumOf, presignUpload } from '../../src/http/index.js'
import { createSigner, loadIdentity } from '../../src/identity/index.js'

export const TOKEN = 'write-routes-test-token'
export const PUBLIC = 'http://strata.test:8080'
/** `server.maxBlobSize` of these tests. */
export const MAX = 64 * 1024
/** The fake clock's start. */
export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5)
export const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
export const BACKENDS = ['memory', 'filesystem'] as const

export interface Ctx {
  app: StrataApp['app']
  cradle: Cradle
  clock: { now: number }
  space: `did:key:${string}`
}

export const z = (digest: MultihashDigest) => base58btc.encode(digest.bytes)
export const bytesOf = (text: string) => new TextEncoder().encode(text)

/** Registers hooks giving each test a fresh started container on `backend`; answers its getter. */
export function useWriteCtx(backend: (typeof BACKENDS)[number]): () => Ctx {
  let dataDir = ''
  let container: StrataContainer | undefined
  let ctx: Ctx | undefined
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-write-'))
    const config = configSchema.parse({
      storage: { backend, dataDir },
      server: { authToken: TOKEN, maxBlobSize: MAX, presignExpiresIn: 900 },
      log: { level: 'silent' },
    })
    container = createContainer(config, { logger: pino({ level: 'silent' }) })
    await container.start()
    const clock = { now: T0 }
    const { app } = createApp({ container, publicUrl: PUBLIC, now: () => clock.now })
    ctx = { app, cradle: container.cradle, clock, space: (await ed25519.generate()).did() }
  })
  afterEach(async () => {
    await container?.stop()
    container = undefined
    await rm(dataDir, { recursive: true, force: true })
  })
  return () => {
    if (ctx === undefined) throw new Error('no context outside a test')
    return ctx
  }
}

export interface Allocated {
  allocated: true
  url: string
  headers: Record<string, string>
  expiresAt: string
}

/** `POST /allocations` of `bytes` (sha2-256) for the context's space, with the bearer token. */
export async function allocate(
  ctx: Ctx,
  bytes: Uint8Array,
  extra: { size?: number; space?: string; cause?: string } = {},
) {
  const digest = await sha256.digest(bytes)
  const body = {
    space: extra.space ?? ctx.space,
    blob: { digest: z(digest), size: extra.size ?? bytes.length },
    ...(extra.cause === undefined ? {} : { cause: extra.cause }),
  }
  const res = await ctx.app.request('/allocations', {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(body),
  })
  return { res, digest, json: (await res.json()) as Allocated }
}

/** A PUT of `body` to `url` with `headers`. */
export function put(ctx: Ctx, url: string, headers: Record<string, string>, body: Uint8Array) {
  return ctx.app.request(url, { method: 'PUT', headers, body })
}

/** An upload URL presigned outside the routes, with the node's credentials (no allocation made). */
export async function presignFor(
  ctx: Ctx,
  digest: MultihashDigest,
  size: number,
  signingDate = new Date(T0),
) {
  const identity = await loadIdentity(ctx.cradle.keystore)
  return presignUpload(createSigner(identity.credentials), {
    url: new URL(`${PUBLIC}/blob/${z(digest)}`),
    size,
    checksum: checksumOf(digest),
    signingDate,
    expiresIn: 900,
  })
}

/** Expects a JSON error response `{ error: { name, message } }`. */
export async function expectError(res: Response, status: number, name: string, message?: RegExp) {
  expect(res.status).toBe(status)
  const json = (await res.json()) as { error: { name: string; message: string } }
  expect(json.error.name).toBe(name)
  if (message !== undefined) expect(json.error.message).toMatch(message)
}
