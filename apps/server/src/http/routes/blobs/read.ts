import type { BlobStore } from '@strata/blobstore'
import { createRoute, createRouter, errorContent, z } from '../../openapi.js'
import { parseDigest } from '../../protocol/digest.js'
import { toReadableStream } from '../../protocol/stream.js'
import { type AnswerOptions, answerBlobRead, type BlobAnswer } from './answer.js'

/** Where a body that fails after its status was sent is reported (a pino logger fits). */
export interface BodyErrorLogger {
  error(details: object, message: string): void
}

/** Options for {@link blobReadRoutes}. */
export interface BlobReadRoutesOptions extends AnswerOptions {
  /** Where blobs are read from. */
  blobs: BlobStore
  /** Where a body that fails midway is logged. Default: not logged. */
  logger?: BodyErrorLogger
}

/** The digest in a blob path: any multibase multihash or CID (at most 1024 characters). */
export const DigestParam = z.object({
  digest: z.string().openapi({
    param: { name: 'digest', in: 'path' },
    example: 'zQmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4',
  }),
})

const binary = { schema: z.string().openapi({ format: 'binary' }) }

const getBlob = createRoute({
  method: 'get',
  path: '/blob/{digest}',
  summary: 'Download a blob, whole or by byte ranges (RFC 9110); HEAD answers the same headers',
  request: { params: DigestParam },
  responses: {
    200: { description: 'The whole blob', content: { 'application/octet-stream': binary } },
    206: {
      description: 'One range, or several as multipart/byteranges',
      content: { 'application/octet-stream': binary, 'multipart/byteranges': binary },
    },
    304: { description: 'If-None-Match matched: the client has the blob' },
    400: errorContent('The digest is not a multibase multihash or CID'),
    404: errorContent('No blob under the digest'),
    412: errorContent('If-Match did not match'),
    416: errorContent('No range is satisfiable; Content-Range: bytes */size'),
  },
})

/** A {@link BlobAnswer} as a Web `Response` (the body streams with backpressure). */
export function toResponse(answer: BlobAnswer, onBodyError?: (error: unknown) => void): Response {
  const { body: read } = answer
  const body =
    read === undefined || read instanceof Uint8Array ? (read ?? null) : toReadableStream(read, onBodyError)
  return new Response(body, { status: answer.status, headers: answer.headers })
}

/**
 * `GET` and `HEAD /blob/:digest`, public: hono dispatches HEAD to the GET route and the answer
 * never opens a body for it. See {@link answerBlobRead} for statuses, headers and backend cost.
 * This module imports no write code.
 */
export function blobReadRoutes(options: BlobReadRoutesOptions) {
  const { blobs, logger } = options
  const answerOptions = options.maxRanges === undefined ? {} : { maxRanges: options.maxRanges }
  return createRouter().openapi(getBlob, async (c) => {
    const digest = parseDigest(c.req.param('digest'))
    const raw = c.req.raw
    const method = raw.method === 'HEAD' ? 'HEAD' : 'GET'
    const request = {
      method,
      header: (name: string) => raw.headers.get(name) ?? undefined,
      signal: raw.signal,
    } as const
    const answer = await answerBlobRead(blobs, digest, request, answerOptions)
    const onError = (error: unknown) =>
      logger?.error({ err: error, path: c.req.path }, 'blob body failed mid-response')
    return toResponse(answer, onError)
  })
}
