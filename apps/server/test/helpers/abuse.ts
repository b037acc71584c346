/**
 * Tools of the abuse battery (`test/abuse/`): raw HTTP/1.1 exchanges on sockets bound to a chosen
 * loopback address (`127.0.0.2`, … stand in for other clients), a persistent connection to ask
 * several requests in turn, and the slow-header attacker in child processes (so its sockets do
 * not count against the test runner's open-file limit).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** A response read off a raw socket. */
export interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: Buffer
}

/** Parses one HTTP/1.1 response at the start of `data`; `undefined` while incomplete. */
function parseAnswer(data: Buffer, head: boolean): { answer: RawAnswer; rest: Buffer } | undefined {
  let start = 0
  // skip interim answers (100 Continue)
  for (;;) {
    const end = data.indexOf('\r\n\r\n', start)
    if (end === -1) return undefined
    const lines = data.subarray(start, end).toString('latin1').split('\r\n')
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1])
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    if (status >= 100 && status < 200) {
      start = end + 4
      continue
    }
    const length = head || status === 204 || status === 304 ? 0 : Number(headers['content-length'] ?? 0)
    if (data.length < end + 4 + length) return undefined
    return {
      answer: { status, headers, body: data.subarray(end + 4, end + 4 + length) },
      rest: data.subarray(end + 4 + length),
    }
  }
}

/** A connection from `localAddress` to `port` on 127.0.0.1, asking requests one at a time. */
export class RawConnection {
  readonly socket: Socket
  #buffer: Buffer = Buffer.alloc(0)
  #waiting: (() => void) | undefined
  #closed = false
  /** Interim answers seen (e.g. `HTTP/1.1 100 Continue`), as status lines. */
  readonly interim: string[] = []

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk])
      const text = chunk.toString('latin1')
      if (/^HTTP\/1\.1 1\d\d /.test(text)) this.interim.push(text.split('\r\n')[0] as string)
      this.#waiting?.()
    })
    socket.on('close', () => {
      this.#closed = true
      this.#waiting?.()
    })
    socket.on('error', () => {})
  }

  /** Opens a connection. */
  static open(port: number, localAddress = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress })
      socket.once('connect', () => resolve(new RawConnection(socket)))
      socket.once('error', reject)
    })
  }

  /** Whether the server closed it. */
  get closed(): boolean {
    return this.#closed
  }

  /** Writes raw bytes. */
  write(data: string | Uint8Array): void {
    this.socket.write(data)
  }

  /**
   * The next whole answer (interim ones skipped), within `timeoutMs`.
   * @throws {Error} the connection closed or the time ran out first.
   */
  async answer(options: { head?: boolean; timeoutMs?: number } = {}): Promise<RawAnswer> {
    const deadline = performance.now() + (options.timeoutMs ?? 10_000)
    for (;;) {
      const parsed = parseAnswer(this.#buffer, options.head ?? false)
      if (parsed) {
        this.#buffer = parsed.rest
        return parsed.answer
      }
      if (this.#closed) throw new Error(`connection closed (${this.#buffer.length} bytes unparsed)`)
      const left = deadline - performance.now()
      if (left <= 0) throw new Error('no answer in time')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiting = () => {
          clearTimeout(timer)
          this.#waiting = undefined
          resolve()
        }
      })
    }
  }

  /** Sends `GET path` (keep-alive) and answers its response. */
  async get(path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
    this.write(requestText('GET', path, headers))
    return this.answer()
  }

  /** Resolves once the server closed the connection, or after `timeoutMs` (answers whether it did). */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs
    while (!this.#closed && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    return this.#closed
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** An HTTP/1.1 request head (keep-alive), with `Host: x`. */
export function requestText(method: string, path: string, headers: Record<string, string> = {}): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: x']
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  return `${lines.join('\r\n')}\r\n\r\n`
}

/**
 * One request on a fresh connection from `localAddress`, timed from before the connect to the
 * end of the answer, in ms.
 */
export async function timedGet(
  port: number,
  path: string,
  localAddress: string,
): Promise<{ ms: number; answer: RawAnswer }> {
  const started = performance.now()
  const connection = await RawConnection.open(port, localAddress)
  try {
    const answer = await connection.get(path, { Connection: 'close' })
    return { ms: performance.now() - started, answer }
  } finally {
    connection.destroy()
  }
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** What the slow-header attacker reports once every attempt has settled. */
export interface AttackReport {
  attempted: number
  connected: number
  refused503: number
  closedByServer: number
  failed: number
  holding: number
  ms: number
}

/** A running attack: one or more attacker processes. */
export interface Attacker {
  processes: ChildProcess[]
  /** Resolves with the summed report once every connection attempt of every process has settled. */
  report: Promise<AttackReport>
  /** Asks every process for its report again: `holding` counts the sockets still open now. */
  again(): Promise<AttackReport>
  /** Releases its sockets and waits for every process to exit. */
  stop(): Promise<void>
}

const ATTACKER = join(dirname(fileURLToPath(import.meta.url)), 'slow-headers.mjs')

/** Sockets one attacker process opens at most: its open-file limit is the test runner's (20,000 here). */
export const SOCKETS_PER_ATTACKER = 10_000

function attackerProcess(port: number, count: number, localAddress: string, batch: number) {
  const child = spawn(
    process.execPath,
    [ATTACKER, String(port), String(count), localAddress, String(batch)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  const errors: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const next = () =>
    new Promise<AttackReport>((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line) as AttackReport))
      child.once('exit', (code) => reject(new Error(`attacker exited (${code}): ${errors.join('')}`)))
    })
  const report = next()
  report.catch(() => {})
  const again = () => {
    const answer = next()
    child.stdin?.write('report\n')
    return answer
  }
  return { child, exited, report, again }
}

function summed(reports: AttackReport[]): AttackReport {
  const sum: AttackReport = {
    attempted: 0,
    connected: 0,
    refused503: 0,
    closedByServer: 0,
    failed: 0,
    holding: 0,
    ms: 0,
  }
  for (const one of reports) {
    for (const key of Object.keys(sum) as Array<keyof AttackReport>) {
      sum[key] = key === 'ms' ? Math.max(sum.ms, one.ms) : sum[key] + one[key]
    }
  }
  return sum
}

/**
 * Starts `slow-headers.mjs`: `count` slow-header connections to `port` from `localAddress`, spread
 * over processes of at most {@link SOCKETS_PER_ATTACKER} sockets each (raising the hard open-file
 * limit needs `CAP_SYS_RESOURCE`, which a container's root may lack), all from the same address.
 */
export function startAttacker(options: {
  port: number
  count: number
  localAddress: string
  batch?: number
}): Attacker {
  const parts = Math.ceil(options.count / SOCKETS_PER_ATTACKER)
  const batch = Math.ceil((options.batch ?? 1000) / parts)
  const running = Array.from({ length: parts }, (_, i) =>
    attackerProcess(
      options.port,
      Math.min(SOCKETS_PER_ATTACKER, options.count - i * SOCKETS_PER_ATTACKER),
      options.localAddress,
      batch,
    ),
  )
  const report = Promise.all(running.map((part) => part.report)).then(summed)
  report.catch(() => {})
  return {
    processes: running.map((part) => part.child),
    report,
    again: () => Promise.all(running.map((part) => part.again())).then(summed),
    async stop() {
      await Promise.all(
        running.map(async ({ child, exited }) => {
          child.stdin?.end()
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
          await exited
          clearTimeout(timer)
        }),
      )
    },
  }
}

/** Files directly in `dir` and their total size (e.g. flatfs's `.temp`). */
export async function filesIn(dir: string): Promise<{ count: number; bytes: number }> {
  let count = 0
  let bytes = 0
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const found = await stat(join(dir, name)).catch(() => undefined)
    if (found?.isFile()) {
      count++
      bytes += found.size
    }
  }
  return { count, bytes }
}
