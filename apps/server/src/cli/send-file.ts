import { createReadStream } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CliError, type CliIo } from './io.js'
import { createProgress, type Progress } from './progress.js'

/** Counts the bytes passing through into `progress`. */
export const counter = (progress: Progress) =>
  new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      progress.add(chunk.length)
      callback(null, chunk)
    },
  })

/** What to send: a file as the body of one request, with its `Content-Length`. */
export interface SendFileOptions {
  method: 'PUT' | 'POST'
  url: string
  headers: Record<string, string>
  /** The file and its size in bytes. */
  path: string
  size: number
  /** The progress bar's label (`uploading`, `importing`). */
  verb: string
}

/**
 * Streams a file as a request body with `Content-Length` (never chunked, never held whole), with a
 * progress bar on stderr, and answers the server's answer as a Web `Response` (its body read).
 * The progress line is finished only on a 2xx.
 * @throws {CliError} exit 1 when the server cannot be reached.
 */
export function sendFile(io: CliIo, options: SendFileOptions): Promise<Response> {
  const { method, path, size, verb } = options
  return new Promise<Response>((done, fail) => {
    const url = new URL(options.url)
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const progress = createProgress(io, verb.padEnd(9), size, `${verb.replace(/ing$/, 'ed')}`)
    const headers = { ...options.headers, 'content-length': String(size) }
    const req = send(url, { method, headers }, (res) => {
      collect(res).then((body) => {
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) progress.done()
        const answer = new Headers()
        for (const [name, value] of Object.entries(res.headers))
          if (typeof value === 'string') answer.set(name, value)
        done(
          new Response(status === 204 ? null : body, {
            status,
            statusText: res.statusMessage ?? '',
            headers: answer,
          }),
        )
      }, fail)
    })
    req.on('error', (error: NodeJS.ErrnoException) =>
      fail(new CliError(`cannot send to ${url.origin}: ${error.code ?? error.message}`, 1)),
    )
    pipeline(createReadStream(path), counter(progress), req).catch(() => {
      // the request's own error (or its response) settles the promise
    })
  })
}

function collect(res: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = []
    res.on('data', (chunk: Buffer) => chunks.push(chunk))
    res.on('end', () => done(Buffer.concat(chunks)))
    res.on('error', fail)
  })
}
