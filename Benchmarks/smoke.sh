#!/usr/bin/env bash
# Every benchmark once, shrunk to seconds and on the debug build, so that CI knows each still runs to its
# end (.ci/run). Its figures mean nothing and none is checked: timing goals live in the full runs. A step
# that hangs fails after 5 minutes rather than holding CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD=debug
# step NAME COMMAND...: runs the command (an env assignment list first, if any) under a time limit.
step() {
    local name=$1
    shift
    echo "== smoke: $name (at ${SECONDS}s)"
    timeout 300 env "$@"
}

step run.sh DRAIN_JOBS=200 Benchmarks/run.sh 1 4
step stores.sh DRAIN_JOBS=200 Benchmarks/stores.sh 1 4 1
step recovery.sh REPOS=20 SAMPLES=1 WINDOW=5 Benchmarks/recovery.sh 1 4 1
step follow.sh Benchmarks/follow.sh 20 2
step plan-comment.sh OUTPUT_MIB=1 Benchmarks/plan-comment.sh 1
step edge.sh EDGE_ARGS="--sockets 40 --pushes 2 --holders 4 --size 1048576" Benchmarks/edge.sh
step floor.sh Benchmarks/floor.sh 1 4 1
step config.sh REPOS=50 WINDOW=2 Benchmarks/config.sh
work=$(mktemp -d)
# shellcheck source=Benchmarks/common.sh
source Benchmarks/common.sh
make_push "$PWD" "$work/push.json"
step "pushrelay-bench intake" .build/debug/pushrelay-bench intake --body "$work/push.json" --iterations 100 \
    --other-repositories 100
rm -rf "$work"
echo "== smoke: every benchmark ran to its end (${SECONDS}s)"
