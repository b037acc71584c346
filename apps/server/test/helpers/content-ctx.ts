/** Shared set-up of the labels / owners / repos / gc route tests: a started container and its app. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { carOf, cborBlock, type TestBlock } from '@strata/car/testing/data'
import { base58btc } from 'multiformats/bases/base58'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { pino } from 'pino'
import { afterEach, beforeEach } from 'vitest'
import { createApp, type StrataApp } from '../../src/app.js'
import { type ConfigInput, configSchema } from '../../src/config/index.js'
import { type Cradle, createContainer, type StrataContainer } from '../../src/container/index.js'

export const TOKEN = 'content-routes-test-token'
export const auth = { authorization: `Bearer ${TOKEN}` }
export const json = { ...auth, 'content-type': 'application/json' }
export const car = { ...auth, 'content-type': 'application/vnd.ipld.car' }
export const BACKENDS = ['memory', 'filesystem'] as const

export interface ContentCtx {
  app: StrataApp['app']
  cradle: Cradle
}

export const z = (digest: MultihashDigest) => base58btc.encode(digest.bytes)

/** Registers hooks giving each test a fresh started container on `backend` (gc settings as given). */
export function useContentCtx(
  backend: (typeof BACKENDS)[number],
  gc: ConfigInput['gc'] = {},
): () => ContentCtx {
  let dataDir = ''
  let container: StrataContainer | undefined
  let ctx: ContentCtx | undefined
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-content-'))
    const config = configSchema.parse({
      storage: { backend, dataDir },
      server: { authToken: TOKEN },
      log: { level: 'silent' },
      gc,
    })
    container = createContainer(config, { logger: pino({ level: 'silent' }) })
    await container.start()
    const { app } = createApp({ container, publicUrl: 'http://strata.test' })
    ctx = { app, cradle: container.cradle }
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

/** A commit CAR: `commit` → `{ data, prev }`, holding the commit and its new data block (a diff). */
export function commitCar(text: string, prev: TestBlock | null) {
  const data = cborBlock({ text, nonce: Math.random() })
  const commit = cborBlock({ data: data.cid, prev: prev?.cid ?? null })
  return { commit, data, bytes: carOf([commit.cid], [commit, data]) }
}
