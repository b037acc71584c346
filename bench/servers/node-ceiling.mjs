#!/usr/bin/env node
// The Node ceiling for ranged GETs: the least a node:http server can do per request. It keeps one
// fd open per file (opened, and its size read, on first use), answers `Range: bytes=a-b` with ONE
// positioned `fs.read` into a fresh buffer and `res.end(buffer)` (206 + Content-Range). Nothing
// else: no other range form, no full-body GET (400), no streams, no logging.
// Usage: node bench/servers/node-ceiling.mjs <dir>   serves GET /blob/<name> from <dir>/<name> on
// 127.0.0.1, a free port, and prints one JSON line `{"msg":"listening","url":…}` on stdout.
import { fstatSync, openSync, read } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node-ceiling.mjs <dir>')
  process.exit(2)
}

/** name → { fd, size }, opened once and kept open. */
const files = new Map()
function fileOf(name) {
  let file = files.get(name)
  if (!file) {
    const fd = openSync(join(dir, name), 'r')
    file = { fd, size: fstatSync(fd).size }
    files.set(name, file)
  }
  return file
}

const server = createServer((req, res) => {
  const name = req.url?.startsWith('/blob/') ? req.url.slice('/blob/'.length) : ''
  const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')
  if (req.method !== 'GET' || name === '' || name.includes('/') || !match) {
    res.writeHead(400).end()
    return
  }
  let file
  try {
    file = fileOf(name)
  } catch {
    res.writeHead(404).end()
    return
  }
  const start = Number(match[1])
  const end = Math.min(Number(match[2]), file.size - 1)
  if (start > end) {
    res.writeHead(416, { 'Content-Range': `bytes */${file.size}` }).end()
    return
  }
  const buffer = Buffer.allocUnsafe(end - start + 1)
  read(file.fd, buffer, 0, buffer.length, start, (error, bytesRead) => {
    if (error || bytesRead !== buffer.length) {
      res.destroy()
      return
    }
    res.writeHead(206, {
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      'Content-Range': `bytes ${start}-${end}/${file.size}`,
      'Content-Length': buffer.length,
    })
    res.end(buffer)
  })
})

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address()
  console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}` }))
})
const stop = () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
