#!/usr/bin/env node
// The bare-Node baseline of an upload server: `PUT /<name>` pipes the request body into
// `<dir>/<name>` with `fs.createWriteStream` (no hashing, no verification, no fsync: the floor of
// any Node upload path to disk), `GET /<name>` streams the file back, `DELETE /<name>` removes it.
// Run as a child process: `node bare-upload-server.mjs <dir>`; listens on 127.0.0.1, a free port,
// and writes one JSON line `{"msg":"listening","url":"http://127.0.0.1:<port>"}` on stdout.
import { createReadStream, createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node bare-upload-server.mjs <dir>')
  process.exit(2)
}

const answer = (res, status, body = '') => {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

const server = createServer(async (req, res) => {
  const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1))
  if (!/^[\w.-]+$/.test(name)) return answer(res, 400, 'bad name')
  const path = join(dir, name)
  try {
    if (req.method === 'PUT') {
      await pipeline(req, createWriteStream(path))
      return answer(res, 201)
    }
    if (req.method === 'GET') {
      const { size } = await stat(path)
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size })
      return await pipeline(createReadStream(path), res)
    }
    if (req.method === 'DELETE') {
      await rm(path, { force: true })
      return answer(res, 204)
    }
    return answer(res, 405)
  } catch (error) {
    if (!res.headersSent) answer(res, error.code === 'ENOENT' ? 404 : 500, String(error.message))
    else res.destroy(error)
  }
})

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address()
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}` })}\n`)
})

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  })
}
