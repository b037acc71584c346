// A slow-header attacker, run as its own process (its sockets count against its own open-file
// limit, not the test runner's): opens COUNT connections to 127.0.0.1:PORT from LOCAL (e.g. 127.0.0.1), at most
// BATCH connecting at once; each sends `GET /healthz HTTP/1.1\r\nHost: x\r\n` and never ends its
// headers. Prints one JSON line when every attempt has settled:
//   { attempted, connected, refused503, closedByServer, failed, holding, ms }
// then holds what is still open until stdin closes (the test ends it), and exits. A line `report`
// on stdin prints the same JSON again, `holding` counted at that moment.
// Usage: node slow-headers.mjs PORT COUNT LOCAL [BATCH]
import net from 'node:net'

const [port, count, local, batchArg] = process.argv.slice(2)
const total = Number(count)
const batch = Number(batchArg ?? 1000)
const stats = { attempted: 0, connected: 0, refused503: 0, closedByServer: 0, failed: 0, holding: 0 }
const open = new Set()
const started = performance.now()
let settled = 0

function settle() {
  settled++
  if (settled === total) {
    stats.holding = open.size
    stats.ms = Math.round(performance.now() - started)
    process.stdout.write(`${JSON.stringify(stats)}\n`)
  }
}

function attempt() {
  return new Promise((resolve) => {
    stats.attempted++
    const socket = net.connect({ port: Number(port), host: '127.0.0.1', localAddress: local })
    let done = false
    const finish = () => {
      if (done) return
      done = true
      settle()
      resolve()
    }
    socket.once('connect', () => {
      stats.connected++
      open.add(socket)
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
      // a refused connection is answered at once: settle once the answer (or nothing) came
      setTimeout(finish, 200)
    })
    socket.on('data', (data) => {
      if (data.toString('latin1').startsWith('HTTP/1.1 503')) stats.refused503++
    })
    socket.once('close', () => {
      if (open.delete(socket)) stats.closedByServer++
      finish()
    })
    socket.once('error', () => {
      stats.failed++
    })
  })
}

// at most `batch` attempts in flight: each one that settles starts the next
await new Promise((resolve) => {
  let next = 0
  let running = 0
  const launch = () => {
    while (running < batch && next < total) {
      next++
      running++
      attempt().then(() => {
        running--
        if (next < total) launch()
        else if (running === 0) resolve()
      })
    }
  }
  launch()
})
process.stdin.setEncoding('utf8')
process.stdin.on('data', (text) => {
  if (!text.includes('report')) return
  stats.holding = open.size
  process.stdout.write(`${JSON.stringify(stats)}\n`)
})
process.stdin.on('end', () => {
  for (const socket of open) socket.destroy()
  process.exit(0)
})
