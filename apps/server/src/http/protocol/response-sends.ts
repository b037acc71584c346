/**
 * The responses being written and the memory they hold: one budget for the chunks responses hold
 * until their sockets take them, and one timer that cuts a reader whose socket takes nothing.
 * @packageDocumentation
 */
import type { Socket } from 'node:net'
import { BufferBudget } from '@strata/objectstore/budget'

/** The size of the chunks responses are read in: small enough that a reader that stops reading holds little, large enough for full-speed downloads. */
export const RESPONSE_CHUNK_BYTES = 64 * 1024

/** Options for {@link ResponseSends}. */
export interface ResponseSendsOptions {
  /** Bytes of response chunks held in memory by all responses together (`server.maxResponseBufferBytes`). */
  maxBufferBytes: number
  /** A reader whose socket takes no byte for this long is cut (`server.sendTimeoutMs`). */
  sendTimeoutMs: number
  /**
   * While other responses wait for the budget, a reader whose socket has taken no byte for this
   * long is cut (`server.pressuredSendTimeoutMs`): stalled readers cannot hold the budget and
   * starve everyone else for a whole `sendTimeoutMs`.
   */
  pressuredSendTimeoutMs: number
  /** The bytes one chunk may hold. Default {@link RESPONSE_CHUNK_BYTES}. */
  chunkBytes?: number
}

interface Watched {
  socket: Socket
  /** `socket.bytesWritten` when last seen to change. */
  bytes: number
  /** When it last changed, or the socket last had nothing waiting (ms, performance clock). */
  since: number
}

/**
 * What every response written on a socket shares: the budget of the chunks they hold, and a
 * watch on their sockets. The watch runs one timer (only while responses are being written) and
 * resets the connection of a response whose socket holds bytes it has not taken for
 * `sendTimeoutMs`, or for `pressuredSendTimeoutMs` while another response waits for the budget.
 * A reset drops what the kernel still holds for the connection too, and gives its chunk back.
 */
export class ResponseSends {
  readonly budget: BufferBudget
  readonly chunkBytes: number
  readonly #timeoutMs: number
  readonly #pressuredMs: number
  readonly #checkMs: number
  readonly #watched = new Set<Watched>()
  #timer: NodeJS.Timeout | undefined

  constructor(options: ResponseSendsOptions) {
    this.budget = new BufferBudget(options.maxBufferBytes)
    this.chunkBytes = options.chunkBytes ?? RESPONSE_CHUNK_BYTES
    this.#timeoutMs = options.sendTimeoutMs
    this.#pressuredMs = Math.min(options.pressuredSendTimeoutMs, options.sendTimeoutMs)
    this.#checkMs = Math.max(10, Math.min(1000, Math.floor(this.#pressuredMs / 2)))
  }

  /** Responses being written now. */
  get active(): number {
    return this.#watched.size
  }

  /** Watches `socket` until the returned function is called. */
  watch(socket: Socket): () => void {
    const entry: Watched = { socket, bytes: socket.bytesWritten, since: performance.now() }
    this.#watched.add(entry)
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#check(), this.#checkMs)
      this.#timer.unref()
    }
    return () => {
      this.#watched.delete(entry)
      if (this.#watched.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer)
        this.#timer = undefined
      }
    }
  }

  #check(): void {
    const now = performance.now()
    const limit = this.budget.waiting > 0 ? this.#pressuredMs : this.#timeoutMs
    for (const entry of this.#watched) {
      const { socket } = entry
      const bytes = socket.bytesWritten
      if (bytes !== entry.bytes || socket.writableLength === 0) {
        entry.bytes = bytes
        entry.since = now
      } else if (now - entry.since >= limit && !socket.destroyed) {
        socket.resetAndDestroy()
      }
    }
  }
}

/** The defaults of the server: a 64 MiB budget, a 30 s send timeout, 5 s under pressure. */
export function defaultSends(): ResponseSends {
  return new ResponseSends({
    maxBufferBytes: 64 * 1024 * 1024,
    sendTimeoutMs: 30_000,
    pressuredSendTimeoutMs: 5_000,
  })
}
