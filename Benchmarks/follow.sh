#!/usr/bin/env bash
# Jobs followed at once for their commit statuses: batched reads (up to 100 jobs per
# `filter[job]=id=in=(…)` request) against one read per job (a Terrakube that refuses the filter), in
# one run. Each mode prints the Terrakube requests per second while every job runs, the process's CPU
# then (the stand-ins run in it too), and, once Terrakube has finished every job at once, when the first
# and the last success status came and the posts per second between them.
#
# The real dispatchers, follower and poster run on a fresh SQLite store; Terrakube and the Git host are
# the test stand-ins on loopback, in the same process (pushrelay-bench follow).
#
# Usage: Benchmarks/follow.sh [JOBS] [WINDOW_SECONDS]   (defaults: 1000 jobs, a 30 s window)
set -euo pipefail
cd "$(dirname "$0")/.."
# BUILD=debug (Benchmarks/smoke.sh) runs it on the debug build: it completes; its figures mean nothing.
BUILD=${BUILD:-release}
jobs=${1:-1000}
window=${2:-30}
swift build -c "$BUILD" --product pushrelay-bench > /dev/null
for mode in batched per-job; do
    echo "== $mode"
    flag=()
    [ "$mode" = per-job ] && flag=(--per-job)
    .build/$BUILD/pushrelay-bench follow --jobs "$jobs" --window "$window" "${flag[@]}"
done
