#!/usr/bin/env bash
# Benchmarks for the accept path and the dispatcher, side by side with a loopback ceiling, in one run.
#
#   Benchmarks/run.sh [seconds-per-run] [connections]
#
# 1. PushRelay's accept path: wrk posts a signed ~7 KB GitHub push (a fresh delivery id per request) to
#    `pushrelay serve` (release build, SQLite WAL + synchronous FULL); every 202 is a durable commit.
#    The dispatcher runs too, sending the queued jobs to the Terrakube stand-in.
# 2. The loopback ceiling: nginx answering 202 to the same requests.
# 3. Drain: 10,000 queued jobs sent by the real dispatcher to the stand-in.
set -euo pipefail
DURATION=${1:-15}
CONNECTIONS=${2:-32}
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
fi
swift build -c release --product pushrelay >/dev/null
swift build -c release --product pushrelay-bench >/dev/null
BIN="$ROOT/.build/release"

WORK=$(mktemp -d /tmp/pushrelay-bench-XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# A realistic push: the go-scm GitHub fixture for acme/infra's main, without its `sender` block (~7 KB).
python3 - "$ROOT/Tests/PushRelayFixtures/Fixtures/github/go-scm-push.json" "$WORK/push.json" <<'PY'
import json, sys
payload = json.load(open(sys.argv[1]))
payload.pop("sender", None)
text = json.dumps(payload, indent=2).replace("Codertocat/Hello-World", "acme/infra").replace("refs/heads/master", "refs/heads/main")
open(sys.argv[2], "w").write(text)
PY
export BODY_FILE="$WORK/push.json"
export SIGNATURE="sha256=$(openssl dgst -sha256 -hmac bench-secret < "$BODY_FILE" | awk '{print $2}')"
BODY_BYTES=$(wc -c < "$BODY_FILE")

mkdir -p "$WORK/config/repos"
cat > "$WORK/config/pushrelay.yaml" <<YAML
listen: "127.0.0.1:18080"
terrakube:
  url: "http://127.0.0.1:18081"
  token_env: BENCH_TOKEN
  organization: "org"
store:
  sqlite: "$WORK/data/pushrelay.sqlite"
secret_env: BENCH_SECRET
YAML
cat > "$WORK/config/repos/infra.yaml" <<YAML
repository: github.com/acme/infra
routes:
  - branches: ["main"]
    workspace: "ws-prod"
    template: "tpl-apply"
YAML

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
        location / { return 202 '{"status":"queued"}'; }
    }
}
NGINX

wait_for_port() {
    for _ in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "port $1 did not open" >&2
    return 1
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

run_wrk() {  # url label
    RUN_ID="$2-$RANDOM" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/Benchmarks/github-push.lua" "$1" \
        | grep '^RESULT' | sed "s/^RESULT/$2/"
}

"$BIN/pushrelay-bench" standin --port 18081 >/dev/null 2>&1 &
PIDS+=($!)
BENCH_SECRET=bench-secret BENCH_TOKEN=bench-token "$BIN/pushrelay" serve --config "$WORK/config" --log-level error &
RELAY=$!
PIDS+=($RELAY)
nginx -c "$WORK/nginx.conf"
wait_for_port 18080
wait_for_port 18081
wait_for_port 18082

echo "body: $BODY_BYTES bytes, $CONNECTIONS connections, ${DURATION}s per run, $(nproc) cores"
RUN_ID=warmup wrk -t2 -c"$CONNECTIONS" -d2s -s "$ROOT/Benchmarks/github-push.lua" http://127.0.0.1:18080 >/dev/null
run_wrk http://127.0.0.1:18080 pushrelay
echo "pushrelay peak_rss_mb=$(peak_rss_mb "$RELAY")"
run_wrk http://127.0.0.1:18082 nginx-ceiling

echo "== drain"
"$BIN/pushrelay-bench" drain --jobs 10000 --concurrency 16
