# Shared by run.sh and stores.sh (sourced): the signed push wrk sends, and waiting for a port.

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

wait_for_port() {
    for _ in $(seq 1 400); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "port $1 did not open" >&2
    return 1
}
