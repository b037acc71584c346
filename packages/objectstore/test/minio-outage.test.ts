import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from 'node:net'
import type { ObjectStore } from '@strata/objectstore'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { utf8 } from '@strata/objectstore/testing'
import { Client } from 'minio'
import { afterEach, describe, expect, it, vi } from 'vitest'

// No S3 server needed: the store is pointed at local sockets that misbehave.

const TIMEOUT = 300
const MiB = 1024 * 1024

function clientFor(port: number, options: { disableRetry?: boolean } = {}): Client {
  return new Client({
    endPoint: '127.0.0.1',
    port,
    useSSL: false,
    pathStyle: true,
    region: 'us-east-1',
    accessKey: 'test-access',
    secretKey: 'test-secret-key',
    ...(options.disableRetry ? { retryOptions: { disableRetry: true } } : {}),
  })
}

/** An opened store on `port`; open()'s bucket check is answered by a stub (the point is the other calls). */
async function openStoreOn(port: number, requestTimeoutMs = TIMEOUT): Promise<MinioObjectStore> {
  const client = clientFor(port)
  const store = new MinioObjectStore({ client, bucket: 'fake', requestTimeoutMs, partSize: 5 * MiB })
  const stub = vi.spyOn(client, 'bucketExists').mockResolvedValue(true)
  await store.open()
  stub.mockRestore()
  return store
}

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function listen(server: Server | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  closers.push(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as AddressInfo).port
}

/** An HTTP server answering every request with `handler`. */
function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  return listen(createServer(handler))
}

/** Every store operation. */
function operations(store: ObjectStore): [string, () => Promise<unknown>][] {
  return [
    ['get', () => store.get('k')],
    ['ranged get', () => store.get('k', { range: { start: 1, end: 2 } })],
    ['has', () => store.has('k')],
    ['put', () => store.put('k', 5, utf8('hello'))],
    ['multipart put', () => store.put('k', 6 * MiB, new Uint8Array(6 * MiB))],
    ['delete', () => store.delete('k')],
    [
      'list',
      async () => {
        for await (const _key of store.list('')) {
          // drain
        }
      },
    ],
  ]
}

/** Runs `task`, expects an UnavailableError (with a cause) within `within` ms. */
async function expectUnavailable(name: string, task: () => Promise<unknown>, within: number): Promise<Error> {
  const started = performance.now()
  const error = await task().then(
    () => new Error(`${name} succeeded`),
    (caught: Error) => caught,
  )
  const elapsed = performance.now() - started
  expect(error, name).toMatchObject({ name: 'UnavailableError', backend: 's3' })
  expect(error.cause, name).toBeDefined()
  expect(elapsed, name).toBeLessThan(within)
  return error
}

describe('MinioObjectStore when the S3 server is unreachable or misbehaves', () => {
  it('answers UnavailableError at once when nothing listens on the port', async () => {
    const port = await listen(createTcpServer())
    await closers.pop()?.() // closed again: nothing listens on the port now
    const store = new MinioObjectStore({ client: clientFor(port), bucket: 'fake' })
    const opening = await expectUnavailable('open', () => store.open(), 1000)
    expect(opening.cause).toMatchObject({ code: 'ECONNREFUSED' })
    const opened = await openStoreOn(port, 30_000)
    for (const [name, operation] of operations(opened)) {
      const error = await expectUnavailable(name, operation, 1000)
      expect(error.cause, name).toMatchObject({ code: 'ECONNREFUSED' })
    }
  })

  it('times out with UnavailableError when the server accepts connections but never answers', async () => {
    const port = await listen(createTcpServer(() => {}))
    const store = new MinioObjectStore({ client: clientFor(port), bucket: 'fake', requestTimeoutMs: TIMEOUT })
    await expectUnavailable('open', () => store.open(), TIMEOUT + 700)
    const opened = await openStoreOn(port)
    for (const [name, operation] of operations(opened)) {
      const error = await expectUnavailable(name, operation, TIMEOUT + 700)
      expect(error.cause, name).toMatchObject({ name: 'RequestTimeoutError', timeoutMs: TIMEOUT })
    }
  })

  it('cancels requests still waiting for an answer when the signal aborts, long before the timeout', async () => {
    const port = await listen(createTcpServer(() => {}))
    const store = await openStoreOn(port, 30_000)
    const calls: [string, (signal: AbortSignal) => Promise<unknown>][] = [
      ['get', (signal) => store.get('k', { signal })],
      ['has', (signal) => store.has('k', { signal })],
      ['put', (signal) => store.put('k', 5, utf8('hello'), { signal })],
      ['multipart put', (signal) => store.put('k', 6 * MiB, new Uint8Array(6 * MiB), { signal })],
      ['delete', (signal) => store.delete('k', { signal })],
      ['list', (signal) => store.list('', { signal })[Symbol.asyncIterator]().next()],
    ]
    for (const [name, call] of calls) {
      const started = performance.now()
      const error = await call(AbortSignal.timeout(50)).catch((caught: unknown) => caught)
      expect(error, name).toMatchObject({ name: 'TimeoutError' }) // AbortSignal.timeout's reason
      expect(performance.now() - started, name).toBeLessThan(1000)
    }
  })

  it('times out a body whose server stops sending midway, and never passes a short body off as whole', async () => {
    const stalled = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' })
      res.write('0123456789')
    })
    const store = await openStoreOn(stalled)
    const { size, body } = await store.get('k')
    expect(size).toBe(1000)
    const started = performance.now()
    await expect(drain(body)).rejects.toMatchObject({
      name: 'UnavailableError',
      cause: { name: 'RequestTimeoutError' },
    })
    expect(performance.now() - started).toBeLessThan(TIMEOUT + 700)

    const cut = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' })
      res.write('0123456789', () => res.socket?.destroy())
    })
    const cutStore = await openStoreOn(cut)
    await expect(drain((await cutStore.get('k')).body)).rejects.toMatchObject({ name: 'UnavailableError' })
  })

  it('does not time out a slow consumer of a body', async () => {
    const port = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(4 * MiB) })
      res.end(Buffer.alloc(4 * MiB, 7))
    })
    const store = await openStoreOn(port)
    let bytes = 0
    for await (const chunk of (await store.get('k')).body) {
      if (bytes === 0) await new Promise((resolve) => setTimeout(resolve, TIMEOUT * 3))
      bytes += chunk.byteLength
    }
    expect(bytes).toBe(4 * MiB)
  })

  it('maps 5xx answers to UnavailableError, with or without minio retries', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const port = await httpServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/xml' })
      res.end('<?xml version="1.0"?><Error><Code>SlowDown</Code></Error>')
    })
    for (const disableRetry of [false, true]) {
      const client = clientFor(port, { disableRetry })
      const store = new MinioObjectStore({ client, bucket: 'fake', requestTimeoutMs: TIMEOUT })
      await expectUnavailable('open', () => store.open(), 2000)
      const stub = vi.spyOn(client, 'bucketExists').mockResolvedValue(true)
      await store.open()
      stub.mockRestore()
      for (const [name, operation] of operations(store)) await expectUnavailable(name, operation, 2000)
    }
    warn.mockRestore()
  })
})

async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _chunk of body) {
    // drain
  }
}
