#!/usr/bin/env bash
# What a large config costs a running `serve` outside the accept path (release build, SQLite), beside
# BASE_BIN (an older build) when given:
#   - start: from exec to /readyz answering, with REPOS repository files (default 10,000);
#   - the idle reload poll (reload.poll_seconds 2, nothing changing): the process's CPU over WINDOW seconds
#     (default 20), from /proc;
#   - a reload after one file changed: the CPU the process spent from the edit to the "Config reloaded"
#     log line, and how long that took;
#   - pushrelay-bench config: the same loads timed in one process (full load, reload of one changed file,
#     one poll pass).
#
#   Benchmarks/config.sh                       BASE_BIN=/path/to/older/pushrelay Benchmarks/config.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# BUILD=debug (Benchmarks/smoke.sh) runs it on the debug build: it completes; its figures mean nothing.
BUILD=${BUILD:-release}
REPOS=${REPOS:-10000}
WINDOW=${WINDOW:-20}
ROOT=$(pwd)
swift build -c "$BUILD" --product pushrelay >/dev/null
swift build -c "$BUILD" --product pushrelay-bench >/dev/null
BIN="$ROOT/.build/$BUILD"
TICKS=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/pushrelay-config-XXXXXX)
RELAY=""
cleanup() {
    [ -n "$RELAY" ] && kill "$RELAY" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/config/repos"
cat > "$WORK/config/pushrelay.yaml" <<YAML
listen: "127.0.0.1:18095"
terrakube:
  url: "http://127.0.0.1:9"
  token_env: BENCH_TOKEN
  organization: "org"
store:
  sqlite: "$WORK/data/pushrelay.sqlite"
secret_env: BENCH_SECRET
YAML
repo() {  # INDEX BRANCH
    printf 'repository: github.com/acme/infra-%s\nroutes:\n  - branches: ["%s"]\n    workspace: ws-%s\n    template: tpl\n' \
        "$1" "$2" "$1" > "$WORK/config/repos/infra-$1.yaml"
}
for i in $(seq 1 "$REPOS"); do repo "$i" main; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure LABEL BINARY
measure() {
    rm -rf "$WORK/data" "$WORK/log"
    local t0
    t0=$(date +%s.%N)
    BENCH_SECRET=s BENCH_TOKEN=t "$2" serve --config "$WORK/config" --log-format json > "$WORK/log" 2>&1 &
    RELAY=$!
    until curl -sf http://127.0.0.1:18095/readyz >/dev/null 2>&1; do sleep 0.02; done
    local ready
    ready=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
    sleep 3
    local c0 c1
    c0=$(cpu_ticks "$RELAY")
    sleep "$WINDOW"
    c1=$(cpu_ticks "$RELAY")
    local idle
    idle=$(awk -v c=$((c1 - c0)) -v t="$TICKS" -v w="$WINDOW" 'BEGIN {printf "%.1f ms a second (%.2f%% of a core)", c / t / w * 1000, c / t / w * 100}')
    local reloads before r0 e0
    reloads=$(grep -c '"Config reloaded"' "$WORK/log" || true)
    r0=$(cpu_ticks "$RELAY")
    e0=$(date +%s.%N)
    repo 1 "release-$RANDOM"
    until [ "$(grep -c '"Config reloaded"' "$WORK/log" || true)" -gt "$reloads" ]; do sleep 0.01; done
    local e1 r1
    e1=$(date +%s.%N)
    r1=$(cpu_ticks "$RELAY")
    awk -v l="$1" -v r="$ready" -v i="$idle" -v c=$((r1 - r0)) -v t="$TICKS" -v a="$e0" -v b="$e1" \
        'BEGIN {printf "%-9s ready %s s; idle poll %s; one file changed: reloaded %.2f s after the edit, %.0f ms of CPU\n", l, r, i, b - a, c / t * 1000}'
    echo "$1 peak_rss_mb=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$RELAY/status")"
    kill "$RELAY"
    wait "$RELAY" 2>/dev/null || true
    RELAY=""
}

echo "$REPOS repository files, reload.poll_seconds 2, $(nproc) cores"
measure now "$BIN/pushrelay"
if [ -n "${BASE_BIN:-}" ]; then measure base "$BASE_BIN"; fi
"$BIN/pushrelay-bench" config --repositories "$REPOS" --rounds 3
