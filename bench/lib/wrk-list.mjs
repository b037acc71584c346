// wrk over a fixed list of requests (path + headers), for the suites that ask many different URLs
// (block reads, the gateway): a Lua script picks one request of the list at random for each request
// sent (seeded: every side of a comparison gets the same sequence). wrk runs in its own process
// (lib/wrk.mjs installs it); `--latency` gives p50 and p99.
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { threadsFor } from './wrk.mjs'

const run = promisify(execFile)

/**
 * Writes to `file` a wrk script sending, for each request, one of `requests` ({ path, headers }) at
 * random. The list goes to `file + '.tsv'` (a line per request: path, then a tab-separated `name`,
 * `value` pair per header), read by each thread at start: a Lua chunk holds at most 65,536
 * constants, far fewer than a big list inlined in the script would need.
 */
export async function writeListScript(file, requests, seed = 1) {
  const lines = requests.map(({ path, headers = {} }) => [path, ...Object.entries(headers).flat()].join('\t'))
  await writeFile(`${file}.tsv`, `${lines.join('\n')}\n`)
  await writeFile(
    file,
    `local requests = {}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end
function init(args)
  for line in io.lines(${JSON.stringify(`${file}.tsv`)}) do
    local fields = {}
    for field in line:gmatch("[^\t]+") do fields[#fields + 1] = field end
    local headers = {}
    for i = 2, #fields - 1, 2 do headers[fields[i]] = fields[i + 1] end
    requests[#requests + 1] = { path = fields[1], headers = headers }
  end
  math.randomseed(${Number(seed)} + 7919 * thread_number)
end
function request()
  local r = requests[math.random(#requests)]
  return wrk.format("GET", r.path, r.headers)
end
`,
  )
}

/** A wrk latency figure (`812.00us`, `1.23ms`, `2.01s`) in ms. */
function msOf(text) {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text)
  if (!match) return Number.NaN
  const value = Number(match[1])
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value
}

/**
 * One wrk run of `script` against `url` for `seconds` with `connections` connections. Answers `{
 * rps, p50, p99 }` (latencies in ms). Throws on socket errors, timeouts or any answer not 2xx/3xx.
 */
export async function runWrkList({ wrk, url, script, seconds, connections }) {
  const args = [
    `-t${threadsFor(connections)}`,
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    '-s',
    script,
    url,
  ]
  const { stdout, stderr } = await run(wrk.path, args, { maxBuffer: 1 << 20 })
  // wrk reports a script error on stderr and goes on with plain `GET /`
  if (stderr.trim() !== '') throw new Error(`wrk: ${stderr.trim()}`)
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1])
  const bad = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0)
  const socket = /Socket errors: (.*)/.exec(stdout)?.[1]
  if (!Number.isFinite(rps) || bad > 0 || socket)
    throw new Error(`wrk: ${bad} bad answers, ${socket ?? 'no socket errors'}\n${stdout}`)
  const percentile = (p) => msOf(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? '')
  return { rps, p50: percentile(50), p99: percentile(99) }
}
