#!/usr/bin/env bash
# Attacks at the internet edge, at full size against the shipped defaults (release build, SQLite):
#
#   Benchmarks/edge.sh            BASE_BIN=/path/to/older/pushrelay Benchmarks/edge.sh
#
# 1. Slow clients: 1,100 sockets (more than the default 1,024 connections) each dribbling a request head
#    one byte every 5 s, reconnecting when closed, while 40 signed pushes are sent, one every 0.5 s:
#    how many are answered 202 within 10 s, GitHub's delivery timeout.
# 2. Body dribblers: 1,100 sockets each sending a whole head, then its 7,000-byte body one byte every 5 s,
#    reconnecting when closed, while 40 signed pushes are sent, one a second: how many are answered 202
#    within 10 s (the body rate floor, min_body_bytes_per_second after body_grace_seconds, closes them).
# 3. Bodies held open: 100 connections each declare a 25 MiB body (the default max_body_bytes) and send
#    all of it but its last byte, with a wrong signature that cannot be checked before the last byte:
#    the process's RSS while they hold, its peak, and 10 s after they go; a signed push meanwhile.
# With BASE_BIN, the same attacks run against that binary too, on a fresh store, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
# BUILD=debug (Benchmarks/smoke.sh) runs it on the debug build: it completes; its figures mean nothing.
BUILD=${BUILD:-release}
ROOT=$(pwd)
swift build -c "$BUILD" --product pushrelay >/dev/null
BIN="$ROOT/.build/$BUILD/pushrelay"

WORK=$(mktemp -d /tmp/pushrelay-edge-XXXXXX)
RELAY=""
cleanup() {
    [ -n "$RELAY" ] && kill "$RELAY" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=Benchmarks/common.sh
source "$ROOT/Benchmarks/common.sh"
make_push "$ROOT" "$WORK/push.json"

# One attack against one binary on a fresh store: attack LABEL BINARY MODE
attack() {
    local dir="$WORK/$1-$3"
    write_acme_config "$dir" 18090 9
    BENCH_SECRET=bench-secret BENCH_TOKEN=bench-token "$2" serve --config "$dir" --log-level critical &
    RELAY=$!
    wait_for_port 18090
    printf '%s ' "$1"
    local interval=0.5
    [ "$3" = slow-bodies ] && interval=1
    # shellcheck disable=SC2086 # EDGE_ARGS (smoke.sh) is a list of options
    python3 "$ROOT/Benchmarks/edge-attack.py" "$3" 18090 "$BODY_FILE" "$SIGNATURE" "$RELAY" --interval "$interval" ${EDGE_ARGS:-}
    kill "$RELAY"
    wait "$RELAY" 2>/dev/null || true
    RELAY=""
}

echo "$(nproc) cores; defaults: max_connections 1024, max_body_bytes 25 MiB, max_buffered_bytes 64 MiB"
for mode in ${MODES:-slow slow-bodies bodies}; do
    attack pushrelay "$BIN" "$mode"
    if [ -n "${BASE_BIN:-}" ]; then attack base "$BASE_BIN" "$mode"; fi
done
