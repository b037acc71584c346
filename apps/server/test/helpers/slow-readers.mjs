// The slow-reader attacker of the abuse battery, in a process of its own (its sockets do not count
// against the test runner's open-file limit):
//   node slow-readers.mjs <port> <path> <count> <first local address, e.g. 127.0.0.2> <addresses> <mode>
// Opens `count` keep-alive connections spread over `addresses` loopback addresses, each asking
// `GET <path>` and then reading it slowly: mode `trickle` reads 1 KiB every 2 s, mode `stall`
// never reads. Prints one JSON line once every connection has its answer's status line (or
// failed), then one more on each line on stdin: `{ connected, answered (200), refused (another
// status), closedByServer, failed, open }`; on a `probe` line, after reading everything for a
// second (a paused socket does not see the server's reset until it reads). Closes everything and
// exits when stdin ends.
import { connect } from 'node:net'
import { createInterface } from 'node:readline'

const [port, path, countText, firstAddress, addressesText, mode] = process.argv.slice(2)
const count = Number(countText)
const addresses = Number(addressesText)
const [a, b, c, d] = firstAddress.split('.').map(Number)
const stats = { connected: 0, answered: 0, refused: 0, statuses: {}, closedByServer: 0, failed: 0, open: 0 }
const sockets = []

function open(i) {
  return new Promise((resolve) => {
    const socket = connect({
      port: Number(port),
      host: '127.0.0.1',
      localAddress: `${a}.${b}.${c}.${d + (i % addresses)}`,
    })
    sockets.push(socket)
    let seen = false
    socket.once('connect', () => {
      stats.connected++
      stats.open++
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)
    })
    socket.pause()
    // Wait until the answer's first bytes are in (the status line), then read as the mode says.
    const first = setInterval(() => {
      const chunk = socket.read(12)
      if (chunk === null) return
      clearInterval(first)
      seen = true
      socket.answered = true
      const status = chunk.toString('latin1')
      if (status === 'HTTP/1.1 200') stats.answered++
      else {
        stats.refused++
        stats.statuses[status] = (stats.statuses[status] ?? 0) + 1
      }
      resolve()
    }, 20)
    socket.on('close', () => {
      clearInterval(first)
      stats.open--
      if (!socket.destroyedByUs) stats.closedByServer++
      if (!seen) resolve()
    })
    socket.on('error', () => {
      stats.failed++
    })
  })
}

const trickle = setInterval(() => {
  if (mode !== 'trickle') return
  for (const socket of sockets) if (socket.answered) socket.read(1024)
}, 2000)

for (let i = 0; i < count; i += 200)
  await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, j) => open(i + j)))
console.log(JSON.stringify(stats))
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line !== 'probe') return console.log(JSON.stringify(stats))
  // Read everything for a moment: a connection the server reset fails at once; one it did not
  // cut goes on being served (and stays open).
  clearInterval(trickle)
  for (const socket of sockets) socket.resume()
  setTimeout(() => console.log(JSON.stringify(stats)), 1000)
})
lines.on('close', () => {
  clearInterval(trickle)
  for (const socket of sockets) {
    socket.destroyedByUs = true
    socket.destroy()
  }
  process.exit(0)
})
