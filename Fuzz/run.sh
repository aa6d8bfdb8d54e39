#!/usr/bin/env bash
# Fuzzes every reader of untrusted bytes with libFuzzer and AddressSanitizer.
#   Fuzz/run.sh [SECONDS] [TARGET...]     default: 60 seconds for each target
# Seeds come from the providers' fixtures (Tests/PushRelayFixtures/Fixtures), the shipped configs and
# Fuzz/seeds/. A crash stops the run, non-zero, with the input saved as Fuzz/crashes/<target>-crash-…;
# once fixed, keep that input in Fuzz/regressions/<target>/ so that `swift test` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

seconds="${1:-60}"
shift || true
all=(provider-github provider-gitlab provider-gitea provider-bitbucket provider-azure-devops intake
     github-payload signature-headers repository-url glob config saved-delivery terrakube-notification
     ref-advertisement)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

flags=(-c release --scratch-path .build-fuzz --product pushrelay-fuzz
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld)
swift build "${flags[@]}" 2>&1 | tail -1
binary="$(swift build "${flags[@]}" --show-bin-path)/pushrelay-fuzz"

fixtures=Tests/PushRelayFixtures/Fixtures
corpus_root=.build-fuzz/corpus
mkdir -p Fuzz/crashes

# Copies payload fixtures into a corpus, each with a leading byte (the harness's event or provider pick).
seed_payloads() {
    local into="$1" prefix="$2"; shift 2
    local dir file
    for dir in "$@"; do
        for file in "$fixtures/$dir"/*.json; do
            case "$file" in *.meta.json) continue ;; esac
            { printf "\\x$prefix"; cat "$file"; } > "$into/$dir-$(basename "$file")"
        done
    done
}

for target in "${targets[@]}"; do
    corpus="$corpus_root/$target"
    rm -rf "$corpus" && mkdir -p "$corpus"
    case "$target" in
        provider-github) seed_payloads "$corpus" 00 github ;;
        provider-gitlab) seed_payloads "$corpus" 00 gitlab ;;
        provider-gitea) seed_payloads "$corpus" 00 gitea gogs ;;
        github-payload)
            # No leading byte: the whole input is the body.
            for file in "$fixtures"/{github,gitea,gogs}/*.json; do
                case "$file" in *.meta.json) continue ;; esac
                cp "$file" "$corpus/$(basename "$(dirname "$file")")-$(basename "$file")"
            done ;;
        provider-bitbucket) seed_payloads "$corpus" 00 bitbucket-cloud bitbucket-server ;;
        provider-azure-devops) seed_payloads "$corpus" 00 azure-devops ;;
        intake | saved-delivery)
            # The first byte picks the provider: github 0, gitlab 1, gitea 2, bitbucket 3, azure-devops 4.
            seed_payloads "$corpus" 00 github; seed_payloads "$corpus" 01 gitlab
            seed_payloads "$corpus" 02 gitea gogs; seed_payloads "$corpus" 03 bitbucket-cloud bitbucket-server
            seed_payloads "$corpus" 04 azure-devops ;;
        config)
            { printf '\x00'; cat config/pushrelay.yaml; } > "$corpus/pushrelay.yaml"
            for file in config/repos/*.yaml deploy/compose/repos/*.yaml; do
                { printf '\x01'; cat "$file"; } > "$corpus/$(basename "$(dirname "$(dirname "$file")")")-$(basename "$file")"
            done ;;
    esac
    [ -d "Fuzz/seeds/$target" ] && cp "Fuzz/seeds/$target"/* "$corpus/"
    [ -d "Fuzz/regressions/$target" ] && cp "Fuzz/regressions/$target"/* "$corpus/" 2>/dev/null || true
    echo "== fuzz $target for ${seconds}s ($(ls "$corpus" | wc -l) seeds)"
    log="$corpus_root/$target.log"
    status=0
    PUSHRELAY_FUZZ_TARGET="$target" ASAN_OPTIONS=detect_leaks=0 "$binary" "$corpus" \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="Fuzz/crashes/$target-" -print_final_stats=1 > "$log" 2>&1 || status=$?
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || true
    if [ "$status" -ne 0 ]; then
        grep -E "==[0-9]+==|SUMMARY|Fatal error|Test unit written|deadly signal|timeout" "$log" | head -20 || true
        echo "fuzz $target: failed (exit $status); the input is in Fuzz/crashes/, the log in $log"
        exit 1
    fi
done
