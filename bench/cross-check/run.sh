#!/bin/sh
# Independent cross-check of the http-ranges suite: plain wrk, its own text output (Requests/sec
# and the --latency distribution), read with awk, against the same servers on the same bytes
# (started by bench/serve.mjs), alternating servers round by round; prints every run and the
# medians. Nothing of bench/lib/wrk.mjs or wrk-report.lua is used for the measurement.
# Usage: sh bench/cross-check/run.sh [rounds] [seconds]   (build first; wrk and nginx installed,
# e.g. by one run of the suite). Servers are stopped at the end.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-3}
seconds=${2:-4}
info=$(mktemp)
runs=$(mktemp)
node "$here/../serve.mjs" --out="$info" >/dev/null 2>&1 &
serve=$!
trap 'kill "$serve" 2>/dev/null || true; wait "$serve" 2>/dev/null || true; rm -f "$info" "$runs"' EXIT
while [ ! -s "$info" ]; do
  kill -0 "$serve" 2>/dev/null || { echo "bench/serve.mjs failed" >&2; exit 1; }
  sleep 0.5
done
field() { node -e "const i = JSON.parse(require('fs').readFileSync('$info', 'utf8')); console.log($1)"; }
size=$(field 'i.ranged.size')
z=$(field 'i.ranged.z')
labels="strata node-ceiling bare-node nginx"
echo "wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2), ${rounds} rounds x ${seconds} s, random 64 KiB ranges of ${size} bytes"
for c in 1 16 64; do
  t=$([ "$c" -eq 1 ] && echo 1 || echo 2)
  for server in $labels; do # warm-up, not counted
    wrk -t"$t" -c"$c" -d1s -s "$here/ranges.lua" "$(field "i.servers['$server'].url")/blob/$z" -- "$size" >/dev/null
  done
  r=1
  while [ "$r" -le "$rounds" ]; do
    for server in $labels; do
      url="$(field "i.servers['$server'].url")/blob/$z"
      wrk -t"$t" -c"$c" -d"${seconds}s" --latency -s "$here/ranges.lua" "$url" -- "$size" |
        awk -v c="$c" -v s="$server" -v r="$r" '
          function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
          $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
          /Non-2xx|Socket errors/ { bad = bad " " $0 }
          END { printf "c%s %s %d %.0f %.2f %.2f%s\n", c, s, r, rps, p50, p99, bad }' | tee -a "$runs"
    done
    r=$((r + 1))
  done
done
echo
echo "medians (req/s, p50 ms, p99 ms):"
for c in 1 16 64; do
  for server in $labels; do
    med() { awk -v c="c$c" -v s="$server" -v k="$1" '$1 == c && $2 == s { print $k }' "$runs" | sort -n |
      awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    printf "c%-3s %-13s %8s req/s  p50 %6s  p99 %6s\n" "$c" "$server" "$(med 4)" "$(med 5)" "$(med 6)"
  done
done
