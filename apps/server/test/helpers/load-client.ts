/**
 * The HTTP client of the load and concurrency tests, over `node:http` with a caller's keep-alive
 * `Agent`: uploads stream their bodies (allocate with the bearer token, then PUT to the presigned
 * URL with its signed headers), downloads are checked as they arrive (whole ones hashed against
 * the digest; ranges compared byte for byte with content computed from the seed). No blob is held.
 */
import { createHash } from 'node:crypto'
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { mismatches, rangeStream, type SeededBlob } from './load-content.js'

/** What a load run counts. */
export interface LoadStats {
  requests: number
  uploads: number
  downloads: number
  bytesUp: number
  bytesDown: number
  errors: number
  corruptions: number
  /** The first few error messages. */
  messages: string[]
}

/** Fresh, zeroed {@link LoadStats}. */
export function newStats(): LoadStats {
  return {
    requests: 0,
    uploads: 0,
    downloads: 0,
    bytesUp: 0,
    bytesDown: 0,
    errors: 0,
    corruptions: 0,
    messages: [],
  }
}

/** A response: status, headers, and the body when `keep` was asked (small bodies only). */
export interface Exchanged {
  status: number
  headers: IncomingMessage['headers']
  body: Buffer
}

/** Options of {@link exchange}. */
export interface ExchangeOptions {
  agent: Agent
  headers?: Record<string, string>
  /** A string, or a stream sent with the (required) `content-length` of `headers`. */
  body?: string | AsyncIterable<Uint8Array>
  /** Called with each body chunk as it arrives; without it the body is collected into `body`. */
  onData?: (chunk: Buffer) => void
}

/**
 * One request. A server may answer before it has read the body (200 "already stored"): then, as
 * RFC 9112 asks, the client stops sending at once and closes the connection once the response has
 * ended (it cannot be reused mid-body). Carrying on would be worse than wasteful: the server
 * (`@hono/node-server`) drains an unread body for at most 500 ms / 64 MiB, then closes the socket,
 * and unread bytes arriving at a closed socket make the kernel reset the connection, which can
 * discard the response before the client reads it.
 * @throws {Error} the connection failed before a whole response arrived.
 */
export function exchange(url: string, method: string, options: ExchangeOptions): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    let answer: Exchanged | undefined
    const source =
      options.body === undefined || typeof options.body === 'string' ? undefined : Readable.from(options.body)
    const fail = (error: unknown) => {
      if (answer !== undefined) return
      const reused = req.reusedSocket ? ' (on a reused keep-alive connection)' : ''
      const message = `${method} ${new URL(url).pathname}: ${(error as Error).message}${reused}`
      reject(new Error(message, { cause: error }))
    }
    const req = httpRequest(url, { method, headers: options.headers ?? {}, agent: options.agent }, (res) => {
      const early = source !== undefined && !req.writableEnded
      if (early) {
        source.unpipe(req)
        source.destroy()
      }
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => {
        if (options.onData) options.onData(chunk)
        else chunks.push(chunk)
      })
      res.on('end', () => {
        answer = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }
        resolve(answer)
        if (early) req.destroy()
      })
      res.on('error', fail)
      res.on('aborted', () => fail(new Error(`${method} ${url}: response aborted`)))
    })
    req.on('error', fail)
    if (source === undefined) req.end(options.body as string | undefined)
    else {
      source.on('error', (error) => req.destroy(error))
      source.pipe(req)
    }
  })
}

/** A client of one server, counting into `stats`. */
export class LoadClient {
  /** Connections used once, for PUTs whose body the server may not read. */
  readonly #oneShot = new Agent({ keepAlive: false })

  constructor(
    readonly base: string,
    readonly token: string,
    readonly agent: Agent,
    readonly stats: LoadStats = newStats(),
  ) {}

  /** Counts an error (keeping its message among the first few). */
  error(message: string): void {
    this.stats.errors++
    if (this.stats.messages.length < 10) this.stats.messages.push(message)
  }

  /**
   * `POST /allocations` with the bearer token.
   * @throws {Error} on a status other than 200/201.
   */
  async allocate(
    blob: SeededBlob,
    space: string,
  ): Promise<{ url?: string; headers?: Record<string, string> }> {
    this.stats.requests++
    const res = await exchange(`${this.base}/allocations`, 'POST', {
      agent: this.agent,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ space, blob: { digest: blob.digest, size: blob.size } }),
    })
    if (res.status !== 200 && res.status !== 201) {
      throw new Error(`POST /allocations: ${res.status} ${res.body.toString()}`)
    }
    return JSON.parse(res.body.toString()) as { url?: string; headers?: Record<string, string> }
  }

  /**
   * PUTs the blob's bytes to a presigned URL; answers the status (and counts the bytes sent).
   * `ownConnection`: on a connection of its own, never reused — for a blob that may be stored
   * already, whose body the server answers (200) without reading: it then drains the rest for at
   * most 500 ms / 64 MiB (`@hono/node-server`) and closes the connection, although its answer
   * said `Connection: keep-alive`, so a request reusing it could fail.
   */
  async put(
    blob: SeededBlob,
    url: string,
    headers: Record<string, string>,
    ownConnection = false,
  ): Promise<number> {
    this.stats.requests++
    const res = await exchange(url, 'PUT', {
      agent: ownConnection ? this.#oneShot : this.agent,
      headers,
      body: rangeStream(blob.seed, 0, blob.size - 1),
    })
    this.stats.bytesUp += blob.size
    return res.status
  }

  /** Allocates and uploads `blob`; counts an upload, or an error. */
  async upload(blob: SeededBlob, space: string): Promise<boolean> {
    try {
      const allocation = await this.allocate(blob, space)
      if (allocation.url === undefined || allocation.headers === undefined) {
        throw new Error(`blob ${blob.digest} is already stored`)
      }
      const status = await this.put(blob, allocation.url, allocation.headers)
      if (status !== 201) throw new Error(`PUT ${blob.digest}: ${status}`)
      this.stats.uploads++
      return true
    } catch (error) {
      this.error(`upload ${blob.size} B: ${(error as Error).message}`)
      return false
    }
  }

  /** GETs the whole blob, hashed as it arrives; answers the status, or throws on a wrong body. */
  async getWhole(blob: SeededBlob): Promise<number> {
    this.stats.requests++
    const hash = createHash('sha256')
    let bytes = 0
    const res = await exchange(`${this.base}/blob/${blob.digest}`, 'GET', {
      agent: this.agent,
      onData: (chunk) => {
        hash.update(chunk)
        bytes += chunk.length
      },
    })
    this.stats.bytesDown += bytes
    if (res.status === 200 && (bytes !== blob.size || hash.digest('hex') !== blob.sha256)) {
      this.stats.corruptions++
      throw new Error(`GET ${blob.digest}: ${bytes} bytes that do not hash to the digest`)
    }
    return res.status
  }

  /**
   * GETs `Range: bytes=<spec>` expecting the inclusive range `[start, end]`, compared byte for byte
   * as it arrives. @throws {Error} on any other status, header or byte.
   */
  async getRange(blob: SeededBlob, spec: string, start: number, end: number): Promise<void> {
    this.stats.requests++
    let at = start
    let differ = 0
    const res = await exchange(`${this.base}/blob/${blob.digest}`, 'GET', {
      agent: this.agent,
      headers: { range: `bytes=${spec}` },
      onData: (chunk) => {
        if (at + chunk.length <= end + 1) differ += mismatches(blob.seed, at, chunk)
        else differ += chunk.length
        at += chunk.length
      },
    })
    this.stats.bytesDown += at - start
    const expected = `bytes ${start}-${end}/${blob.size}`
    if (res.status !== 206 || res.headers['content-range'] !== expected) {
      throw new Error(`GET ${spec}: ${res.status} ${res.headers['content-range']}, expected 206 ${expected}`)
    }
    if (differ > 0 || at !== end + 1) {
      this.stats.corruptions++
      throw new Error(
        `GET ${spec} of ${blob.digest}: ${differ} wrong bytes, ${at - start} of ${end - start + 1}`,
      )
    }
  }

  /**
   * GETs several disjoint, ascending, non-adjacent inclusive ranges (small: the multipart body is
   * collected), expecting one `multipart/byteranges` part per range, each compared byte for byte.
   * @throws {Error} on any other status, part or byte.
   */
  async getMulti(blob: SeededBlob, ranges: readonly [number, number][]): Promise<void> {
    this.stats.requests++
    const spec = ranges.map(([s, e]) => `${s}-${e}`).join(',')
    const res = await exchange(`${this.base}/blob/${blob.digest}`, 'GET', {
      agent: this.agent,
      headers: { range: `bytes=${spec}` },
    })
    this.stats.bytesDown += res.body.length
    const boundary = /boundary=([^;\s]+)/.exec(res.headers['content-type'] ?? '')?.[1]
    if (res.status !== 206 || boundary === undefined) {
      throw new Error(`GET ${spec}: ${res.status} ${res.headers['content-type']}, expected 206 multipart`)
    }
    let cursor = 0
    for (const [start, end] of ranges) {
      const headerEnd = res.body.indexOf('\r\n\r\n', cursor)
      const head = res.body.subarray(cursor, headerEnd).toString('latin1')
      const expected = `Content-Range: bytes ${start}-${end}/${blob.size}`
      if (headerEnd < 0 || !head.includes(`--${boundary}`) || !head.includes(expected)) {
        throw new Error(`GET ${spec}: part without ${expected}: ${JSON.stringify(head)}`)
      }
      const bytes = res.body.subarray(headerEnd + 4, headerEnd + 4 + end - start + 1)
      if (bytes.length !== end - start + 1 || mismatches(blob.seed, start, bytes) > 0) {
        this.stats.corruptions++
        throw new Error(`GET ${spec} of ${blob.digest}: part ${start}-${end} has wrong bytes`)
      }
      cursor = headerEnd + 4 + bytes.length
    }
    if (res.body.subarray(cursor).toString('latin1') !== `\r\n--${boundary}--\r\n`) {
      throw new Error(`GET ${spec}: the multipart body does not end with its closing boundary`)
    }
  }
}
