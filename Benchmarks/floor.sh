#!/usr/bin/env bash
# Where a delivery's CPU goes, by what the same process spends on less (release build, SQLite, the
# dispatcher backing off from an unreachable Terrakube), each from /proc over a wrk run, ROUNDS times:
#   0. GET /healthz on two servers of pushrelay-bench's `httpfloor`, what the HTTP floor could be: SwiftNIO's
#      HTTP/1 pipeline with a handler of its own, and a Hummingbird application with that one route;
#   1. GET /healthz: the HTTP server alone (NIO, Hummingbird's router and a response): the floor any request
#      pays;
#   2. the signed ~7 KB push with a wrong signature (401): plus the body read, the payload's repository
#      found and the HMAC compared;
#   3. the signed push (202): plus routing, the plan and its encodings, and the durable SQLite commit;
#   4. the same push on pushrelay-bench's `httpfloor --server nio-accept`: SwiftNIO's pipeline, the same intake
#      and the same SQLite store, and nothing else (no deadlines, limits, metrics or log line): the least a
#      delivery could cost with them, what taking the webhook path off Hummingbird could come down to.
#
#   Benchmarks/floor.sh [seconds-per-run] [connections] [rounds]
set -euo pipefail
DURATION=${1:-8}
CONNECTIONS=${2:-32}
ROUNDS=${3:-2}
cd "$(dirname "$0")/.."
# BUILD=debug (Benchmarks/smoke.sh) runs it on the debug build: it completes; its figures mean nothing.
BUILD=${BUILD:-release}
ROOT=$(pwd)
swift build -c "$BUILD" --product pushrelay >/dev/null
swift build -c "$BUILD" --product pushrelay-bench >/dev/null
TICKS=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/pushrelay-floor-XXXXXX)
RELAY=""
NIO=""
HB=""
ACCEPT=""
cleanup() {
    for pid in $RELAY $NIO $HB $ACCEPT; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=Benchmarks/common.sh
source "$ROOT/Benchmarks/common.sh"
make_push "$ROOT" "$WORK/push.json"
write_acme_config "$WORK/config" 18096 9
# Its log (a line per delivery, at the default level, as in production) goes to a file.
BENCH_SECRET=bench-secret BENCH_TOKEN=t "$ROOT/.build/$BUILD/pushrelay" serve --config "$WORK/config" >"$WORK/serve.log" 2>&1 &
RELAY=$!
"$ROOT/.build/$BUILD/pushrelay-bench" httpfloor --server nio --port 18097 >/dev/null 2>&1 &
NIO=$!
"$ROOT/.build/$BUILD/pushrelay-bench" httpfloor --server hummingbird --port 18098 >/dev/null 2>&1 &
HB=$!
"$ROOT/.build/$BUILD/pushrelay-bench" httpfloor --server nio-accept --port 18099 --store "$WORK/accept/pushrelay.sqlite" >/dev/null 2>&1 &
ACCEPT=$!
wait_for_port 18096
wait_for_port 18097
wait_for_port 18098
wait_for_port 18099
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run LABEL PID ARGS...: one wrk run against the process PID; requests per second and CPU per request.
run() {
    local label=$1 pid=$2
    shift 2
    local c0 out c1 n
    c0=$(cpu_ticks "$pid")
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$@")
    c1=$(cpu_ticks "$pid")
    n=$(echo "$out" | awk '/requests in/ {print $1} /^RESULT/ {for (i = 1; i <= NF; i++) if ($i ~ /^requests=/) {sub("requests=", "", $i); print $i}}' | tail -1)
    awk -v l="$label" -v c=$((c1 - c0)) -v t="$TICKS" -v n="$n" -v d="$DURATION" \
        'BEGIN {printf "%-24s rps=%.0f cpu_us_per_request=%.0f\n", l, n / d, c / t * 1e6 / n}'
}
bad="sha256=$(printf '0%.0s' $(seq 64))"
echo "$CONNECTIONS connections, ${DURATION}s per run, $(nproc) cores"
RUN_ID=warmup wrk -t2 -c"$CONNECTIONS" -d2s -s "$ROOT/Benchmarks/github-push.lua" http://127.0.0.1:18096 >/dev/null
RUN_ID=warmup wrk -t2 -c"$CONNECTIONS" -d2s -s "$ROOT/Benchmarks/github-push.lua" http://127.0.0.1:18099 >/dev/null
for round in $(seq 1 "$ROUNDS"); do
    run "SwiftNIO alone" "$NIO" http://127.0.0.1:18097/healthz
    run "Hummingbird, one route" "$HB" http://127.0.0.1:18098/healthz
    run "GET /healthz" "$RELAY" http://127.0.0.1:18096/healthz
    SIGNATURE="$bad" RUN_ID="bad-$round-$RANDOM" run "push, 401" "$RELAY" -s "$ROOT/Benchmarks/github-push.lua" http://127.0.0.1:18096
    RUN_ID="good-$round-$RANDOM" run "push, 202" "$RELAY" -s "$ROOT/Benchmarks/github-push.lua" http://127.0.0.1:18096
    RUN_ID="nio-$round-$RANDOM" run "push, 202, NIO+store" "$ACCEPT" -s "$ROOT/Benchmarks/github-push.lua" http://127.0.0.1:18099
done
