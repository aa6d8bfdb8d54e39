#!/usr/bin/env bash
# The plan comment's cost (SPEC section 13): a pull request whose plan's output is OUTPUT_MIB MiB (default
# 10), through the release build, with `comment: summary` and `comment: full`:
#   - the time from the webhook's 202 to the comment with the plan's summary line at the host (the job
#     completes at its first read; the follower reads every 0.2 s, so up to 0.2 s of it is the follow
#     interval);
#   - PushRelay's peak RSS (VmHWM) before the pull request and after its comment, and its CPU meanwhile.
#
#   Benchmarks/plan-comment.sh [samples]
set -euo pipefail
SAMPLES=${1:-3}
OUTPUT_MIB=${OUTPUT_MIB:-10}
cd "$(dirname "$0")/.."
# BUILD=debug (Benchmarks/smoke.sh) runs it on the debug build: it completes; its figures mean nothing.
BUILD=${BUILD:-release}
ROOT=$(pwd)
swift build -c "$BUILD" --product pushrelay >/dev/null
swift build -c "$BUILD" --product pushrelay-bench >/dev/null
BIN="$ROOT/.build/$BUILD"
source "$ROOT/Benchmarks/common.sh"

WORK=$(mktemp -d /tmp/pushrelay-plan-comment-XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
TICKS=$(getconf CLK_TCK)

"$BIN/pushrelay-bench" planstandins --output-mib "$OUTPUT_MIB" --jobs $((SAMPLES * 2 + 2)) > "$WORK/standins.log" &
PIDS+=($!)
wait_for_port 18091
wait_for_port 18092

# The pull request fixture (octokit's #2 into master), its head made unique per sample.
pull_request() { # HEAD OUT
    sed "s/ec26c3e57ca3a959ca5aad62de7213c562f8c821/$1/" "$ROOT/Tests/PushRelayFixtures/Fixtures/github/octokit-pull_request-opened.json" > "$2"
}

run_mode() { # MODE PORT
    local mode=$1 port=$2 dir="$WORK/$1"
    mkdir -p "$dir/repos"
    cat > "$dir/pushrelay.yaml" <<YAML
listen: "127.0.0.1:$port"
terrakube:
  url: "http://127.0.0.1:18091"
  token_env: BENCH_TOKEN
  organization: "org"
  ui_url: "https://terrakube.example.com"
store:
  sqlite: "$dir/data/pushrelay.sqlite"
hosts:
  github.com: {kind: github, api_url: "http://127.0.0.1:18092", token_env: BENCH_TOKEN}
status:
  poll_seconds: 0.2
YAML
    cat > "$dir/repos/hello.yaml" <<YAML
repository: github.com/Codertocat/Hello-World
secret_env: BENCH_SECRET
routes:
  - branches: ["master"]
    workspace: ws
    template: tpl-apply
    pull_requests:
      template: tpl-plan
      comment: $mode
YAML
    BENCH_TOKEN=bench-token BENCH_SECRET=bench-secret "$BIN/pushrelay" serve --config "$dir" > "$dir/log" 2>&1 &
    local pid=$!
    PIDS+=($pid)
    wait_for_port "$port"
    for sample in $(seq 1 "$SAMPLES"); do
        local head
        head=$(printf '%s%040d' "$mode" "$sample" | sha1sum | cut -c1-40)
        pull_request "$head" "$dir/pr.json"
        local signature before_rss before_cpu seen sent arrived after_rss after_cpu
        signature="sha256=$(openssl dgst -sha256 -hmac bench-secret < "$dir/pr.json" | awk '{print $2}')"
        before_rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
        before_cpu=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        seen=$(grep -c ' planned$' "$WORK/standins.log" || true)
        sent=$(date +%s%3N)
        curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/hooks/github" -H "X-GitHub-Event: pull_request" \
            -H "X-GitHub-Delivery: $mode-$sample" -H "X-Hub-Signature-256: $signature" \
            -H "Content-Type: application/json" --data-binary "@$dir/pr.json"
        for _ in $(seq 1 600); do
            [ "$(grep -c ' planned$' "$WORK/standins.log" || true)" -gt "$seen" ] && break
            sleep 0.02
        done
        arrived=$(grep ' planned$' "$WORK/standins.log" | tail -1 | awk '{print $3}')
        after_rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
        after_cpu=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        printf '%-8s sample %d: webhook to comment %5d ms, comment %7d chars, peak RSS %d -> %d MB, CPU %d ms\n' \
            "$mode" "$sample" $((arrived - sent)) "$(grep ' planned$' "$WORK/standins.log" | tail -1 | awk '{print $4}')" \
            $((before_rss / 1024)) $((after_rss / 1024)) $(((after_cpu - before_cpu) * 1000 / TICKS))
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}

echo "plan output: $OUTPUT_MIB MiB a job; $SAMPLES pull request heads a mode"
run_mode summary 18093
run_mode full 18094
