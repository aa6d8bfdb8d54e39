#!/usr/bin/env bash
# Benchmarks for the accept path and the dispatcher, side by side with a loopback ceiling, in one run.
#
#   Benchmarks/run.sh [seconds-per-run] [connections]
#
# 1. PushRelay's accept path: wrk posts a signed ~7 KB GitHub push (a fresh delivery id per request) to
#    `pushrelay serve` (release build, SQLite WAL + synchronous FULL); every 202 is a durable commit.
#    The dispatcher runs too, sending the queued jobs to the Terrakube stand-in.
#    End to end: from the first request to the last job created at the stand-in (read from /metrics).
# 2. The peer: adnanh/webhook (Debian's `webhook`) with an HMAC-SHA256 trigger rule running /bin/true,
#    the tool many operators script this job with, on the same requests.
# 3. The loopback ceiling: nginx answering 204 to the same requests.
# 4. PushRelay's accept path again, with a stand-in that takes 50 ms per job (the dispatcher paced as
#    against a remote Terrakube, not flat out against an instant loopback one).
#    The same service answering the same requests with a wrong signature (401): the accept path without
#    routing and the durable commit.
# 5. Drain: 10,000 queued jobs sent by the real dispatcher to the stand-in.
set -euo pipefail
DURATION=${1:-15}
CONNECTIONS=${2:-32}
cd "$(dirname "$0")/.."
# BUILD=debug (Benchmarks/smoke.sh) runs it on the debug build: it completes; its figures mean nothing.
BUILD=${BUILD:-release}
ROOT=$(pwd)

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null || ! command -v webhook >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light webhook >/dev/null
fi
swift build -c "$BUILD" --product pushrelay >/dev/null
swift build -c "$BUILD" --product pushrelay-bench >/dev/null
BIN="$ROOT/.build/$BUILD"

WORK=$(mktemp -d /tmp/pushrelay-bench-XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=Benchmarks/common.sh
source "$ROOT/Benchmarks/common.sh"
make_push "$ROOT" "$WORK/push.json"
BODY_BYTES=$(wc -c < "$BODY_FILE")

write_acme_config "$WORK/config" 18080 18081
# The same service against a stand-in that takes 50 ms per job, so that the dispatcher runs at the pace
# of a remote API instead of flat out against an instant loopback stand-in.
write_acme_config "$WORK/config-paced" 18084 18085

cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_buffer_size 64k;
    client_body_temp_path $WORK/nginx-body;
    server {
        listen 127.0.0.1:18082;
        location / { return 204; }
    }
}
NGINX

# adnanh/webhook: the same path (/hooks/github), the same signature check, a command per delivery.
cat > "$WORK/hooks.json" <<JSON
[{"id": "github", "execute-command": "/bin/true",
  "trigger-rule-mismatch-http-response-code": 401,
  "trigger-rule": {"match": {"type": "payload-hmac-sha256", "secret": "bench-secret",
                             "parameter": {"source": "header", "name": "X-Hub-Signature-256"}}}}]
JSON


peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
metric() { curl -s http://127.0.0.1:18080/metrics | awk -v name="$1" '$1 == name {print $2 + 0}'; }

run_wrk() {  # url label
    RUN_ID="$2-$RANDOM" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/Benchmarks/github-push.lua" "$1" \
        | grep '^RESULT' | sed "s/^RESULT/$2/"
}

"$BIN/pushrelay-bench" standin --port 18081 >/dev/null 2>&1 &
PIDS+=($!)
BENCH_SECRET=bench-secret BENCH_TOKEN=bench-token "$BIN/pushrelay" serve --config "$WORK/config" --log-level error &
RELAY=$!
PIDS+=($RELAY)
webhook -hooks "$WORK/hooks.json" -ip 127.0.0.1 -port 18083 >/dev/null 2>&1 &
PEER=$!
PIDS+=($PEER)
nginx -c "$WORK/nginx.conf"
wait_for_port 18080
wait_for_port 18081
wait_for_port 18082
wait_for_port 18083

echo "body: $BODY_BYTES bytes, $CONNECTIONS connections, ${DURATION}s per run, $(nproc) cores"
RUN_ID=warmup wrk -t2 -c"$CONNECTIONS" -d2s -s "$ROOT/Benchmarks/github-push.lua" http://127.0.0.1:18080 >/dev/null
while [ "$(metric 'pushrelay_queue_depth{kind="terrakube.create-job"}')" != "0" ]; do sleep 0.2; done
created_before=$(metric 'pushrelay_work_attempts_total{kind="terrakube.create-job",result="created"}')
start=$(date +%s.%N)
run_wrk http://127.0.0.1:18080 pushrelay
while [ "$(metric 'pushrelay_queue_depth{kind="terrakube.create-job"}')" != "0" ]; do sleep 0.05; done
finish=$(date +%s.%N)
created=$(awk -v a="$(metric 'pushrelay_work_attempts_total{kind="terrakube.create-job",result="created"}')" -v b="$created_before" 'BEGIN {print a - b}')
awk -v n="$created" -v s="$start" -v f="$finish" \
    'BEGIN {printf "pushrelay-end-to-end jobs=%d seconds=%.1f jobs_per_s=%.0f\n", n, f - s, n / (f - s)}'
echo "pushrelay peak_rss_mb=$(peak_rss_mb "$RELAY")"
run_wrk http://127.0.0.1:18083 adnanh-webhook
echo "adnanh-webhook peak_rss_mb=$(peak_rss_mb "$PEER")"
run_wrk http://127.0.0.1:18082 nginx-ceiling
echo "nginx peak_rss_mb=$(peak_rss_mb "$(cat "$WORK/nginx.pid")") (master; one worker)"

# The accept path again, with the dispatcher paced by a stand-in that takes 50 ms per job (16 calls in
# flight: at most 320 jobs/s), on its own store: how fast webhooks are accepted when the CPU is theirs.
kill "$RELAY"
wait "$RELAY" 2>/dev/null || true
"$BIN/pushrelay-bench" standin --port 18085 --creation-ms 50 >/dev/null 2>&1 &
PIDS+=($!)
BENCH_SECRET=bench-secret BENCH_TOKEN=bench-token "$BIN/pushrelay" serve --config "$WORK/config-paced" \
    --log-level error &
PACED=$!
PIDS+=($PACED)
wait_for_port 18084
wait_for_port 18085
RUN_ID=warmup-paced wrk -t2 -c"$CONNECTIONS" -d2s -s "$ROOT/Benchmarks/github-push.lua" http://127.0.0.1:18084 >/dev/null
run_wrk http://127.0.0.1:18084 pushrelay-paced-dispatch
echo "pushrelay-paced-dispatch peak_rss_mb=$(peak_rss_mb "$PACED")"
# The same requests with a signature of the right length that does not match: the body read, the payload
# read for its repository and the HMAC compared, then 401. Everything the accept path does except routing
# and the durable commit, on the same service: the ceiling the store is measured against.
SIGNATURE="sha256=$(printf '0%.0s' $(seq 64))" run_wrk http://127.0.0.1:18084 pushrelay-refused-signature
echo "pushrelay-refused-signature: every answer is a 401, which wrk counts as a status error"

echo "== drain"
"$BIN/pushrelay-bench" drain --jobs "${DRAIN_JOBS:-10000}" --concurrency 16
