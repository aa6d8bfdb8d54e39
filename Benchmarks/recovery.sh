#!/usr/bin/env bash
# Missed-push recovery's costs, side by side in one run (SPEC section 12), on SQLite:
#   1. the accept path with a new branch and commit in every push (each moves a head of its own, so none is
#      settled as already queued), this build beside BASE_BIN (a build from before the remembered heads)
#      when given, alternating;
#   2. REPOS repositories (default 1,000) polled every 5 s against a stand-in whose heads never move:
#      requests per round and PushRelay's CPU per repository round, and the accept path while the rounds
#      run, beside the same build with recovery off;
#   3. the time from a head moving to its job created, at poll_seconds 5 (SAMPLES moves, default 5).
#
#   Benchmarks/recovery.sh [seconds-per-run] [connections] [rounds]
#   BASE_BIN=/path/to/an/older/pushrelay Benchmarks/recovery.sh …
#
# CPU per accepted delivery is the process's user + system time from /proc/PID/stat over the run, divided
# by the deliveries it answered 202. The pushes are unsigned (wrk cannot sign a body it changes per
# request): the repository says insecure_no_signature, in both builds.
set -euo pipefail
DURATION=${1:-10}
CONNECTIONS=${2:-32}
ROUNDS=${3:-2}
REPOS=${REPOS:-1000}
SAMPLES=${SAMPLES:-5}
WINDOW=${WINDOW:-30}
cd "$(dirname "$0")/.."
# BUILD=debug (Benchmarks/smoke.sh) runs it on the debug build: it completes; its figures mean nothing.
BUILD=${BUILD:-release}
ROOT=$(pwd)

if ! command -v wrk >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
swift build -c "$BUILD" --product pushrelay >/dev/null
swift build -c "$BUILD" --product pushrelay-bench >/dev/null
BIN="$ROOT/.build/$BUILD"

WORK=$(mktemp -d /tmp/pushrelay-recovery-XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

source "$ROOT/Benchmarks/common.sh"
make_push "$ROOT" "$WORK/push.json"
TICKS=$(getconf CLK_TCK)

# write_config DIR PORT RECOVERY(on|off) REPOS
write_config() {
    rm -rf "$1" && mkdir -p "$1/repos"
    cat > "$1/pushrelay.yaml" <<YAML
listen: "127.0.0.1:$2"
terrakube:
  url: "http://127.0.0.1:18091"
  token_env: BENCH_TOKEN
  organization: "org"
store:
  sqlite: "$1/data/pushrelay.sqlite"
YAML
    # Only with recovery: a build from before it knows neither section.
    if [ "$3" = on ]; then
        cat >> "$1/pushrelay.yaml" <<YAML
hosts:
  github.com: {kind: github, api_url: "http://127.0.0.1:18090", git_url: "http://127.0.0.1:18090", token_env: BENCH_TOKEN}
recovery:
  poll_seconds: 5
YAML
    fi
    cat > "$1/repos/infra.yaml" <<YAML
repository: github.com/acme/infra
insecure_no_signature: true
routes:
  - branches: ["**"]
    workspace: "ws-prod"
    template: "tpl-apply"
YAML
    for i in $(seq 1 "$4"); do
        printf 'repository: github.com/bench/repo-%d\ninsecure_no_signature: true\nroutes:\n  - branches: ["main"]\n    workspace: "ws-%d"\n    template: "tpl"\n' "$i" "$i" > "$1/repos/repo-$i.yaml"
    done
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v name="$2" '$1 == name {s += $2} END {print s + 0}'; }
queued() {
    curl -s "http://127.0.0.1:$1/metrics" \
        | awk '/^pushrelay_deliveries_total\{/ && /outcome="queued"/ && /status="202"/ {s += $2} END {print s + 0}'
}
reads() { curl -s http://127.0.0.1:18090/count; }

# start BINARY CONFIG PORT: serve in the background; sets RELAY.
start() {
    BENCH_TOKEN=bench-token "$1" serve --config "$2" --log-level error &
    RELAY=$!
    PIDS+=($RELAY)
    wait_for_port "$3"
    until curl -sf "http://127.0.0.1:$3/readyz" >/dev/null; do sleep 0.1; done
}
stop() { kill "$RELAY"; wait "$RELAY" 2>/dev/null || true; }

# accept LABEL PORT: one wrk run of new-commit pushes; CPU per 202 from /proc.
accept() {
    local before_cpu before_ok result
    before_cpu=$(cpu_ticks "$RELAY"); before_ok=$(queued "$2")
    result=$(BODY_FILE="$WORK/push.json" RUN_ID="$1-$RANDOM" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
        -s "$ROOT/Benchmarks/new-commit-push.lua" "http://127.0.0.1:$2" | grep '^RESULT' | sed 's/^RESULT //')
    local cpu ok
    cpu=$(( $(cpu_ticks "$RELAY") - before_cpu )); ok=$(( $(queued "$2") - before_ok ))
    awk -v l="$1" -v r="$result" -v c="$cpu" -v t="$TICKS" -v n="$ok" \
        'BEGIN {printf "%-22s %s accepted=%d cpu_us_per_delivery=%.0f\n", l, r, n, c / t * 1e6 / (n > 0 ? n : 1)}'
}

"$BIN/pushrelay-bench" standin --port 18091 --creation-ms 50 >/dev/null 2>&1 &
PIDS+=($!)
"$BIN/pushrelay-bench" gitstandin --port 18090 >/dev/null 2>&1 &
PIDS+=($!)
wait_for_port 18091
wait_for_port 18090
echo "$(nproc) cores, $CONNECTIONS connections, ${DURATION}s per run, $REPOS repositories"

echo "== 1. the accept path, a new branch and commit in every push (recovery off)"
for round in $(seq 1 "$ROUNDS"); do
    for build in now ${BASE_BIN:+base}; do
        binary="$BIN/pushrelay"; [ "$build" = base ] && binary="$BASE_BIN"
        write_config "$WORK/accept-$build" 18080 off 0
        start "$binary" "$WORK/accept-$build" 18080
        accept "$build" 18080
        stop
    done
done

echo "== 2. $REPOS repositories polled every 5 s, no head moving"
write_config "$WORK/rounds" 18080 on "$REPOS"
start "$BIN/pushrelay" "$WORK/rounds" 18080
# The first rounds take the baseline; then a steady minute-ish window.
until [ "$(reads)" -ge "$REPOS" ]; do sleep 0.5; done
sleep 6
r0=$(reads); c0=$(cpu_ticks "$RELAY"); t0=$(date +%s.%N)
sleep "$WINDOW"
r1=$(reads); c1=$(cpu_ticks "$RELAY"); t1=$(date +%s.%N)
for round in $(seq 1 "$ROUNDS"); do accept "rounds-running" 18080; done
stop
# The same config with recovery off, idle for as long: what the process costs without rounds.
write_config "$WORK/norounds" 18080 off "$REPOS"
start "$BIN/pushrelay" "$WORK/norounds" 18080
sleep 6
i0=$(cpu_ticks "$RELAY"); u0=$(date +%s.%N)
sleep "$WINDOW"
i1=$(cpu_ticks "$RELAY"); u1=$(date +%s.%N)
awk -v r=$((r1 - r0)) -v c=$((c1 - c0)) -v i=$((i1 - i0)) -v t="$TICKS" -v s0="$t0" -v s1="$t1" -v v0="$u0" -v v1="$u1" -v n="$REPOS" \
    'BEGIN {d = s1 - s0; e = v1 - v0; idle = i / t / e; busy = c / t / d;
            printf "rounds: %d repository rounds in %.1fs (%.0f/s; %.2f rounds of all %d a poll interval), one request each\n", r, d, r / d, r / d * 5 / n, n;
            printf "cpu: %.1f%% with rounds, %.1f%% idle without; cpu_us_per_repository_round=%.0f (the difference, per round)\n", busy * 100, idle * 100, (busy - idle) * 1e6 / (r / d)}'
for round in $(seq 1 "$ROUNDS"); do accept "recovery-off" 18080; done
stop

echo "== 3. a head moving to its job, poll_seconds 5"
write_config "$WORK/latency" 18080 on 1
start "$BIN/pushrelay" "$WORK/latency" 18080
created() { metric 18080 'pushrelay_work_attempts_total{kind="terrakube.create-job",result="created"}'; }
# This process's first round took the baseline and a second compared against it: a move after that is
# one it must find. (The stand-in's read count runs on from the phases before: not a sign of this one.)
until [ "$(metric 18080 'pushrelay_recovery_rounds_total{host="github.com",result="ok"}')" -ge 1 ]; do sleep 0.2; done
for sample in $(seq 1 "$SAMPLES"); do
    before=$(created)
    sha=$(printf '%040x' "$RANDOM$sample")
    t0=$(date +%s.%N)
    curl -s -X POST "http://127.0.0.1:18090/move?path=/bench/repo-1.git&sha=$sha" >/dev/null
    until [ "$(created)" -gt "$before" ]; do sleep 0.05; done
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v s="$sample" 'BEGIN {printf "move %d: job created after %.2fs\n", s, b - a}'
done
stop
