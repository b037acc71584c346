#!/usr/bin/env node
// The Node ceiling for downloads: a bare `node:http` server streaming files with
// `fs.createReadStream`, single `Range: bytes=a-b` / `a-` / `-n` support (206 + Content-Range,
// 416 when unsatisfiable, anything else answered 200 full). No framework, no logging, no metrics.
// Usage: node bench/servers/bare-node.mjs <dir>   serves GET/HEAD /blob/<name> from <dir>/<name>
// on 127.0.0.1 with a free port, and prints one JSON line `{"msg":"listening","url":…}` on stdout.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'

const dir = process.argv[2]
if (!dir) {
  console.error('usage: bare-node.mjs <dir>')
  process.exit(2)
}

/** The single range of `header` in a file of `size` bytes: `{ start, end }`, 'unsatisfiable' or null (serve all). */
function parseRange(header, size) {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? '')
  if (!match || (match[1] === '' && match[2] === '')) return null
  let start
  let end
  if (match[1] === '') {
    const suffix = Number(match[2])
    if (suffix === 0) return 'unsatisfiable'
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(match[1])
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
    if (match[2] !== '' && Number(match[2]) < start) return null
  }
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}

const server = createServer(async (req, res) => {
  const name = req.url?.startsWith('/blob/') ? req.url.slice('/blob/'.length) : ''
  if ((req.method !== 'GET' && req.method !== 'HEAD') || name === '' || name.includes('/')) {
    res.writeHead(404).end()
    return
  }
  const path = join(dir, name)
  let size
  try {
    size = (await stat(path)).size
  } catch {
    res.writeHead(404).end()
    return
  }
  const range = parseRange(req.headers.range, size)
  const headers = { 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' }
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' }).end()
    return
  }
  const { start, end } = range ?? { start: 0, end: size - 1 }
  headers['Content-Length'] = String(end - start + 1)
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`
  res.writeHead(range ? 206 : 200, headers)
  if (req.method === 'HEAD' || size === 0) {
    res.end()
    return
  }
  const stream = createReadStream(path, { start, end })
  stream.on('error', () => res.destroy())
  res.on('close', () => stream.destroy())
  stream.pipe(res)
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
