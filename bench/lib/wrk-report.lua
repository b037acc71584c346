-- wrk script of the strata bench (driven by bench/lib/wrk.mjs): GETs the URL's path, each request
-- with a random `Range: bytes=a-b` of `range` bytes inside a blob of `size` bytes (range 0: no
-- Range header, whole-blob GETs), from a PRNG seeded with `seed` + the thread's number, so every
-- server gets the same sequence of ranges. At the end, one line `WRK_JSON {…}` on stdout:
-- requests, duration (µs), bytes read, errors (status = responses >= 400), latency mean/p50/p90/p99/max
-- (µs, wrk's histogram) and wrk's own CPU time (ticks of utime + stime from /proc/self/stat).
-- Usage: wrk -t1 -c1 -d4s -s wrk-report.lua http://127.0.0.1:port/blob/z... -- <size> <range> <seed>

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local size, range
function init(args)
  size = tonumber(args[1])
  range = tonumber(args[2] or "0")
  math.randomseed(tonumber(args[3] or "1") + 7919 * thread_number)
end

function request()
  if range == 0 then
    return wrk.format("GET")
  end
  local start = math.random(0, size - range)
  return wrk.format("GET", nil, { Range = "bytes=" .. start .. "-" .. (start + range - 1) })
end

local function cpu_ticks()
  local file = io.open("/proc/self/stat", "r")
  if not file then
    return -1
  end
  local stat = file:read("*a")
  file:close()
  -- fields after the command name "(…)": state is field 3, utime 14, stime 15
  local fields = {}
  for field in stat:match("%)%s+(.*)$"):gmatch("%S+") do
    fields[#fields + 1] = field
  end
  return tonumber(fields[12]) + tonumber(fields[13])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
      '"status":%d,"timeout":%d},"latencyUs":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},' ..
      '"cpuTicks":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    cpu_ticks()
  ))
end
