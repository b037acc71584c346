/**
 * An upload of a blob already stored answers 200 without storing the body again, and the
 * connection stays usable: a small body is read off (the keep-alive connection serves the next
 * request), a larger one gets `Connection: close` (the next request opens a new connection) rather
 * than a connection announced as kept alive and then cut.
 */

import { mkdtemp, rm } from 'node:fs/promises'
import { type Agent, Agent as HttpAgent, request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../src/config/index.js'
import { MAX_DISCARDED_BODY } from '../../src/http/routes/blobs/index.js'
import { type RunningServer, startServer } from '../../src/server.js'
import { allocate, type MemoryBlob, memoryBlob } from '../helpers/e2e-helpers.js'

const TOKEN = 'keepalive-test-token-0123456789'

/** A request over `agent`; answers the status, the `connection` header and whether the socket was reused. */
function exchange(agent: Agent, url: string, method: string, headers: Record<string, string>, body?: Buffer) {
  return new Promise<{ status: number; connection: string | undefined; reused: boolean }>(
    (resolve, reject) => {
      const req = httpRequest(url, { method, headers, agent }, (res) => {
        res.resume()
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            reused: req.reusedSocket,
          }),
        )
      })
      req.on('error', reject)
      req.end(body)
    },
  )
}

describe('PUT of a blob already stored, over a keep-alive connection', () => {
  let dataDir = ''
  let server: RunningServer
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 })

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-keepalive-'))
    const config = configSchema.parse({
      server: { host: '127.0.0.1', port: 0, authToken: TOKEN },
      storage: { backend: 'filesystem', dataDir },
      log: { level: 'silent' },
    })
    server = await startServer({ config, logger: pino({ level: 'silent' }) })
  })
  afterAll(async () => {
    agent.destroy()
    await server?.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  /** Uploads `blob` twice through the agent; answers the second PUT and the GET after it. */
  async function twice(blob: MemoryBlob) {
    const { allocation } = await allocate(server.url, TOKEN, server.identity.did, blob.z, blob.bytes.length)
    const put = () => exchange(agent, allocation.url as string, 'PUT', allocation.headers ?? {}, blob.bytes)
    expect((await put()).status).toBe(201)
    const again = await put()
    const get = await exchange(agent, `${server.url}/blob/${blob.z}`, 'HEAD', {})
    return { again, get }
  }

  it('reads off a small body and keeps the connection for the next request', async () => {
    const { again, get } = await twice(memoryBlob(64 * 1024))
    expect(again).toEqual({ status: 200, connection: 'keep-alive', reused: true })
    expect(get).toEqual({ status: 200, connection: 'keep-alive', reused: true })
  })

  it('closes the connection after the answer when the body is larger', async () => {
    const { again, get } = await twice(memoryBlob(MAX_DISCARDED_BODY + 1))
    expect(again).toMatchObject({ status: 200, connection: 'close' })
    expect(get).toEqual({ status: 200, connection: 'keep-alive', reused: false })
  })
})
