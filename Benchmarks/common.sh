# Shared by the benchmark scripts (sourced): the signed push wrk sends, a config directory for it, and waiting
# for a port.

# make_push ROOT OUT: a realistic push, the go-scm GitHub fixture for acme/infra's main without its
# `sender` block (~7 KB); exports BODY_FILE and SIGNATURE (HMAC-SHA256 with the secret bench-secret).
make_push() {
    python3 - "$1/Tests/PushRelayFixtures/Fixtures/github/go-scm-push.json" "$2" <<'PY'
import json, sys
payload = json.load(open(sys.argv[1]))
payload.pop("sender", None)
text = json.dumps(payload, indent=2).replace("Codertocat/Hello-World", "acme/infra").replace("refs/heads/master", "refs/heads/main")
open(sys.argv[2], "w").write(text)
PY
    export BODY_FILE="$2"
    SIGNATURE="sha256=$(openssl dgst -sha256 -hmac bench-secret < "$BODY_FILE" | awk '{print $2}')"
    export SIGNATURE
}

# write_acme_config DIR LISTEN_PORT TERRAKUBE_PORT [STORE_YAML]: a config directory for that push, acme/infra's
# main to ws-prod, the secret and token from BENCH_SECRET and BENCH_TOKEN, the store a SQLite file in DIR
# unless STORE_YAML says otherwise. Only keys every release since the first benchmark reads.
write_acme_config() {
    local store=${4:-"sqlite: \"$1/data/pushrelay.sqlite\""}
    mkdir -p "$1/repos"
    cat > "$1/pushrelay.yaml" <<YAML
listen: "127.0.0.1:$2"
terrakube:
  url: "http://127.0.0.1:$3"
  token_env: BENCH_TOKEN
  organization: "org"
store:
  $store
secret_env: BENCH_SECRET
YAML
    cat > "$1/repos/infra.yaml" <<YAML
repository: github.com/acme/infra
routes:
  - branches: ["main"]
    workspace: "ws-prod"
    template: "tpl-apply"
YAML
}

wait_for_port() {
    for _ in $(seq 1 400); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "port $1 did not open" >&2
    return 1
}
