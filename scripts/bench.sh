#!/usr/bin/env bash
# bench.sh — Rampart's benchmark suite against its baselines, in one run on
# one machine, then a table of medians and Rampart ÷ baseline ratios.
#
#   scripts/bench.sh                 # or: make bench
#   COUNT=3 scripts/bench.sh         # fewer rounds (default 5)
#
# Environment: COUNT (rounds, default 5), BENCHTIME (per micro-benchmark,
# default 300ms), E2E_BENCHTIME (per end-to-end sub-benchmark, default 2s),
# OUT (raw output, default bench.txt), GO (default go).
#
# Each test binary is built once; then every benchmark runs once per round,
# COUNT rounds, so that a Rampart figure and its baseline are always
# measured close together in time (on a shared machine the load drifts).
# The raw `go test -bench` output goes to $OUT; internal/benchreport prints
# the medians. Redis benchmarks start a loopback redis-server from PATH
# (or use REDIS_URL). All traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-300ms}
E2E_BENCHTIME=${E2E_BENCHTIME:-2s}
OUT=${OUT:-bench.txt}
GO=${GO:-go}

if ! command -v redis-server >/dev/null && [ -z "${REDIS_URL:-}" ]; then
  echo "bench: redis-server not found (apt-get install -y redis-server) and REDIS_URL unset: the Redis rows will fail" >&2
fi

# package  -bench pattern  -benchtime
SUITE="
complexity    ^Benchmark(ParseValidate|Analyze|GqlgenComplexity|FragmentBombSeries)$  $BENCHTIME
gqlsec        ^Benchmark(BaselineParseValidate|Guards|FirstSeen|Server|Prescan|CheckRequestBody)$ $BENCHTIME
ratelimit     ^Benchmark                                                              $BENCHTIME
ratelimit/redisrl ^Benchmark                                                          $BENCHTIME
httpsec       ^Benchmark(Bare|SecureHeaders|CSRF|CORS|BodyLimit|RequestID|ClientIP|RateLimit|FullChain)$ $BENCHTIME
auth          ^BenchmarkMiddleware$                                                   $BENCHTIME
auth/jwt      ^BenchmarkVerify$                                                       $BENCHTIME
directives    ^Benchmark(BareResolver|Auth|InterceptField|Query|RateLimit)$           $BENCHTIME
wssec         ^BenchmarkThroughput$                                                   20000x
wssec         ^BenchmarkIdleConnMemory$                                               1x
wssec/gqlws   ^BenchmarkRoundTrip$                                                    10000x
demo/server   ^BenchmarkEndToEnd$                                                     $E2E_BENCHTIME
"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

machine() {
  echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# nproc: $(nproc)"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "# go: $($GO version)"
  echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# COUNT=$COUNT BENCHTIME=$BENCHTIME E2E_BENCHTIME=$E2E_BENCHTIME"
}

start=$(date +%s)
machine | tee "$OUT"

echo "== building test binaries" >&2
for pkg in $(echo "$SUITE" | awk 'NF {print $1}' | sort -u); do
  "$GO" test -c -o "$bin/${pkg//\//_}.test" "./$pkg"
done
"$GO" build -o "$bin/benchreport" ./internal/benchreport

failed=()
for round in $(seq 1 "$COUNT"); do
  echo "== round $round/$COUNT (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
  while read -r pkg pattern benchtime; do
    [ -n "$pkg" ] || continue
    if ! (cd "$pkg" && "$bin/${pkg//\//_}.test" -test.run '^$' -test.bench "$pattern" \
          -test.benchmem -test.benchtime "$benchtime" -test.count 1 -test.timeout 10m) >>"$OUT" 2>&1; then
      failed+=("$pkg $pattern (round $round)")
    fi
  done <<<"$SUITE"
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
echo "# wall time: $(( $(date +%s) - start ))s" | tee -a "$OUT"
echo

"$bin/benchreport" "$OUT"

if [ ${#failed[@]} -gt 0 ]; then
  echo >&2
  echo "bench: these runs failed (see $OUT):" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
