#!/usr/bin/env bash
# The stores side by side, in one run: the accept path on SQLite, on PostgreSQL with one replica and with
# two; the drain of 10,000 jobs with one and two dispatchers; the time from kill -9 of a replica to the
# first of its jobs finished by the other.
#
#   Benchmarks/stores.sh [seconds-per-run] [connections] [rounds]
#   BASE_BIN=/path/to/an/older/pushrelay Benchmarks/stores.sh …   adds that binary's rows, alternating
#   ROWS="postgres-1 postgres-1-base" Benchmarks/stores.sh …       only those rows
#
# Accept path: wrk posts the signed ~7 KB GitHub push of run.sh (a fresh delivery id per request) at
# `connections` connections (split over the replicas for two). The dispatcher sends to a stand-in that takes
# 50 ms per job (4 calls in flight: at most 80 jobs/s a replica), so the CPU is the accept path's. (Against
# a closed port instead, every queued job is retried at once and again within seconds: the retries, not the
# webhooks, would then be what is measured.) CPU per accepted delivery is the process's
# user + system time from /proc/PID/stat over the run, divided by the deliveries it answered 202
# (pushrelay_deliveries_total, outcome queued); the PostgreSQL server's own CPU is given beside it.
# PostgreSQL: a throwaway cluster of Debian's postgresql on loopback, fsync and synchronous_commit on.
set -euo pipefail
DURATION=${1:-10}
CONNECTIONS=${2:-32}
ROUNDS=${3:-2}
cd "$(dirname "$0")/.."
# BUILD=debug (Benchmarks/smoke.sh) runs it on the debug build: it completes; its figures mean nothing.
BUILD=${BUILD:-release}
DRAIN_JOBS=${DRAIN_JOBS:-10000}
ROOT=$(pwd)

if ! command -v wrk >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
swift build -c "$BUILD" --product pushrelay >/dev/null
swift build -c "$BUILD" --product pushrelay-bench >/dev/null
BIN="$ROOT/.build/$BUILD"

WORK=$(mktemp -d /tmp/pushrelay-stores-XXXXXX)
chmod 755 "$WORK"
PIDS=()
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$WORK/pg"
as_postgres "$PGBIN/initdb" -D "$WORK/pg/data" -A trust -U postgres >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p 18432 -k $WORK/pg -c max_connections=200" start >/dev/null
PGPID=$(head -1 "$WORK/pg/data/postmaster.pid")
createdb() { "$PGBIN/psql" -h 127.0.0.1 -p 18432 -U postgres -qc "CREATE DATABASE $1"; echo "postgres://postgres@127.0.0.1:18432/$1"; }

# shellcheck source=Benchmarks/common.sh
source "$ROOT/Benchmarks/common.sh"
make_push "$ROOT" "$WORK/push.json"

# write_config DIR LISTEN_PORT STORE_YAML [TERRAKUBE_PORT]: the defaults otherwise (dispatch.concurrency 4,
# lease_seconds 30), in keys an older release reads too
write_config() {
    write_acme_config "$1" "$2" "${4:-9}" "$3"
    cat >> "$1/pushrelay.yaml" <<YAML
dispatch:
  request_timeout_seconds: 10
YAML
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pg_ticks() {  # the postmaster and every backend and helper it started
    local total=0
    for pid in $PGPID $(ps -o pid= --ppid "$PGPID"); do
        [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}
queued() {
    curl -s "http://127.0.0.1:$1/metrics" \
        | awk '/^pushrelay_deliveries_total/ && /outcome="queued"/ {sum += $2} END {print sum + 0}'
}
HZ=$(getconf CLK_TCK)

# serve BIN DIR PORT: starts a replica; prints its pid
serve() {
    BENCH_SECRET=bench-secret BENCH_TOKEN=bench-token PG_URL="${PG_URL:-}" \
        "$1" serve --config "$2" --log-level "${LOG_LEVEL:-error}" --log-format json >"$2/log" 2>&1 &
    echo $!
}

# accept LABEL BIN STORE_KIND REPLICAS: one accept-path row
accept() {
    local label=$1 bin=$2 kind=$3 replicas=$4 dir="$WORK/$1-$RANDOM" store pids=() ports=()
    if [ "$kind" = sqlite ]; then
        store="sqlite: \"$dir/data/pushrelay.sqlite\""
    else
        PG_URL=$(createdb "b$RANDOM$RANDOM")
        export PG_URL
        store="postgres_url_env: PG_URL"
    fi
    for replica in $(seq 1 "$replicas"); do
        local port=$((18100 + replica + RANDOM % 500 * 2))
        write_config "$dir/r$replica" "$port" "$store" 18470
        pids+=("$(serve "$bin" "$dir/r$replica")")
        ports+=("$port")
    done
    PIDS+=("${pids[@]}")
    for port in "${ports[@]}"; do wait_for_port "$port"; done
    for port in "${ports[@]}"; do
        RUN_ID="warm-$RANDOM" wrk -t1 -c"$((CONNECTIONS / replicas))" -d2s -s "$ROOT/Benchmarks/github-push.lua" \
            "http://127.0.0.1:$port" >/dev/null
    done
    local before_cpu=0 before_queued=0 before_pg
    for i in "${!pids[@]}"; do
        before_cpu=$((before_cpu + $(ticks "${pids[$i]}")))
        before_queued=$((before_queued + $(queued "${ports[$i]}")))
    done
    before_pg=$(pg_ticks)
    local outputs=() clients=()
    for port in "${ports[@]}"; do
        RUN_ID="$label-$RANDOM" wrk -t1 -c"$((CONNECTIONS / replicas))" -d"${DURATION}s" --latency \
            -s "$ROOT/Benchmarks/github-push.lua" "http://127.0.0.1:$port" > "$dir/wrk-$port" &
        clients+=($!)
        outputs+=("$dir/wrk-$port")
    done
    wait "${clients[@]}"
    local after_cpu=0 after_queued=0 after_pg
    for i in "${!pids[@]}"; do
        after_cpu=$((after_cpu + $(ticks "${pids[$i]}")))
        after_queued=$((after_queued + $(queued "${ports[$i]}")))
    done
    after_pg=$(pg_ticks)
    for pid in "${pids[@]}"; do kill "$pid"; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    # A row's store is about 280 MB after 8 s: gone before the next row, its dirty pages are dropped rather
    # than written back under the next row's fsyncs (which pushed every later row's p99 up fourfold).
    rm -rf "$dir/data"
    local accepted=$((after_queued - before_queued))
    local rps p50 p99
    rps=$(cat "${outputs[@]}" | grep '^RESULT' | sed 's/.*rps=\([0-9]*\).*/\1/' | paste -sd+ | bc)
    p50=$(cat "${outputs[@]}" | grep '^RESULT' | sed 's/.*p50_ms=\([0-9.]*\).*/\1/' | paste -sd/)
    p99=$(cat "${outputs[@]}" | grep '^RESULT' | sed 's/.*p99_ms=\([0-9.]*\).*/\1/' | paste -sd/)
    awk -v l="$label" -v r="$rps" -v a="$accepted" -v p50="$p50" -v p99="$p99" -v hz="$HZ" \
        -v c=$((after_cpu - before_cpu)) -v pg=$((after_pg - before_pg)) -v k="$kind" 'BEGIN {
        printf "%-14s rps=%s accepted=%d p50_ms=%s p99_ms=%s cpu_us_per_delivery=%.0f", l, r, a, p50, p99, c * 1e6 / hz / a
        if (k != "sqlite") printf " postgres_cpu_us_per_delivery=%.0f", pg * 1e6 / hz / a
        printf "\n" }'
}

"$BIN/pushrelay-bench" standin --port 18470 --creation-ms 50 >/dev/null 2>&1 &
PIDS+=($!)
wait_for_port 18470
echo "body: $(wc -c < "$BODY_FILE") bytes, $CONNECTIONS connections, ${DURATION}s per run, $(nproc) cores, $ROUNDS rounds"
echo "== accept path (the dispatcher paced by a 50 ms stand-in)"
ROWS=${ROWS:-sqlite sqlite-base postgres-1 postgres-1-base postgres-2 postgres-2-base}
for round in $(seq 1 "$ROUNDS"); do
    for row in $ROWS; do
        case $row in
            sqlite) accept sqlite "$BIN/pushrelay" sqlite 1 ;;
            sqlite-base) [ -n "${BASE_BIN:-}" ] && accept sqlite-base "$BASE_BIN" sqlite 1 ;;
            postgres-1) accept postgres-1 "$BIN/pushrelay" postgres 1 ;;
            postgres-2) accept postgres-2 "$BIN/pushrelay" postgres 2 ;;
            postgres-1-base) [ -n "${BASE_BIN:-}" ] && accept postgres-1-base "$BASE_BIN" postgres 1 ;;
            postgres-2-base) [ -n "${BASE_BIN:-}" ] && accept postgres-2-base "$BASE_BIN" postgres 2 ;;
        esac
    done
done
[ -n "${ACCEPT_ONLY:-}" ] && exit 0

echo "== drain of $DRAIN_JOBS jobs (concurrency 16 per dispatcher)"
"$BIN/pushrelay-bench" drain --jobs "$DRAIN_JOBS" --concurrency 16 | grep drained | sed 's/^/sqlite      /'
"$BIN/pushrelay-bench" drain --jobs "$DRAIN_JOBS" --concurrency 16 --postgres-url "$(createdb drain1)" | grep drained \
    | sed 's/^/postgres-1  /'
"$BIN/pushrelay-bench" drain --jobs "$DRAIN_JOBS" --concurrency 16 --postgres-url "$(createdb drain2)" --replicas 2 \
    | grep drained | sed 's/^/postgres-2  /'

echo "== takeover after kill -9 (dispatch.lease_seconds 30, request timeout 10 s)"
# The stand-in takes 5 s per creation: the first replica holds 4 calls in flight when it is killed.
"$BIN/pushrelay-bench" standin --port 18480 --creation-ms 5000 >/dev/null 2>&1 &
PIDS+=($!)
wait_for_port 18480
PG_URL=$(createdb takeover)
export PG_URL
LOG_LEVEL=info
write_config "$WORK/doomed" 18481 "postgres_url_env: PG_URL" 18480
write_config "$WORK/survivor" 18482 "postgres_url_env: PG_URL" 18480
DOOMED=$(serve "$BIN/pushrelay" "$WORK/doomed")
PIDS+=("$DOOMED")
wait_for_port 18481
# As many deliveries as the replica has call slots: all in flight at the kill, none left for the other.
for i in $(seq 1 4); do
    curl -s -o /dev/null http://127.0.0.1:18481/hooks/github -H "X-GitHub-Event: push" \
        -H "X-GitHub-Delivery: takeover-$i" -H "X-Hub-Signature-256: $SIGNATURE" --data-binary @"$BODY_FILE"
done
sleep 1
SURVIVOR=$(serve "$BIN/pushrelay" "$WORK/survivor")
PIDS+=("$SURVIVOR")
wait_for_port 18482
kill -9 "$DOOMED"
killed=$(date +%s.%N)
for _ in $(seq 1 1200); do
    grep -q 'Resuming work interrupted' "$WORK/survivor/log" && break
    sleep 0.05
done
rescued=$(date +%s.%N)
for _ in $(seq 1 1200); do
    grep -q 'Job found in Terrakube, adopted\|"Job created' "$WORK/survivor/log" && break
    sleep 0.05
done
finished=$(date +%s.%N)
awk -v k="$killed" -v r="$rescued" -v f="$finished" \
    'BEGIN {printf "kill -9 -> leases rescued by the other replica: %.1f s; -> its first job finished: %.1f s\n", r - k, f - k}'
