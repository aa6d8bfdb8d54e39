#!/usr/bin/env bash
# Every benchmark once, shrunk to seconds and on the debug build, so that CI knows each still runs to its
# end (.ci/run). Its figures mean nothing and none is checked: timing goals live in the full runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD=debug
step() { echo "== smoke: $* (at ${SECONDS}s)"; }

step run.sh
DRAIN_JOBS=200 Benchmarks/run.sh 1 4
step stores.sh
DRAIN_JOBS=200 Benchmarks/stores.sh 1 4 1
step recovery.sh
REPOS=20 SAMPLES=1 WINDOW=5 Benchmarks/recovery.sh 1 4 1
step follow.sh
Benchmarks/follow.sh 20 2
step plan-comment.sh
OUTPUT_MIB=1 Benchmarks/plan-comment.sh 1
step edge.sh
EDGE_ARGS="--sockets 40 --pushes 2 --holders 4 --size 1048576" Benchmarks/edge.sh
step floor.sh
Benchmarks/floor.sh 1 4 1
step config.sh
REPOS=50 WINDOW=2 Benchmarks/config.sh
step pushrelay-bench intake
source Benchmarks/common.sh
work=$(mktemp -d)
make_push "$PWD" "$work/push.json"
.build/debug/pushrelay-bench intake --body "$work/push.json" --iterations 100 --other-repositories 100
rm -rf "$work"
echo "== smoke: every benchmark ran to its end"
