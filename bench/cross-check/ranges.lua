-- Plain wrk script for the independent cross-check (bench/cross-check/run.sh), deliberately not
-- bench/lib/wrk-report.lua: a random 64 KiB `Range` of a blob of args[1] bytes per request,
-- nothing else (no report, no seeding). wrk's own --latency output is what is read.
-- Usage: wrk -t2 -c16 -d4s --latency -s ranges.lua http://127.0.0.1:port/blob/<z> -- 67108864
local size
local range = 65536
function init(args)
  size = tonumber(args[1])
end
function request()
  local start = math.random(0, size - range)
  return wrk.format(nil, nil, { Range = "bytes=" .. start .. "-" .. (start + range - 1) })
end
