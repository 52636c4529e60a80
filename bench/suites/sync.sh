#!/usr/bin/env bash
# Sync benchmark (issue 12), everything over a real `git daemon` on 127.0.0.1:
#
#   1. the fleet: SYNC_CLONES clones (default 20), each marking SYNC_MARKS commits good (default 10)
#      and syncing after every mark, all clones at once; total wall time, syncs per second, how
#      many pushes were refused and retried, and a check that every sync exited 0 and the remote
#      holds every mark. Run once per publishing design: shared refs (the default) and per-clone
#      refs (timeturner.sync.publish=per-clone).
#   2. incremental cost: one new mark synced into a registry of 100,000 marks vs one of 1,000
#      (target ≤ 1.5×): the cost must grow with what is new, not with history.
#
#   TIMETURNER_BIN=.build/release/git-timeturner BENCH_WORK=/tmp/bench-sync bash bench/suites/sync.sh
#   SYNC_ONLY=fleet|incremental   one part only;   SYNC_DESIGNS="shared"   one design only
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/lib.sh"
bin="$TIMETURNER_BIN"
clones="${SYNC_CLONES:-20}"
marks="${SYNC_MARKS:-10}"
runs="${BENCH_RUNS:-20}"
export NO_COLOR=1 GIT_TERMINAL_PROMPT=0
unset GIT_COMMITTER_DATE GIT_AUTHOR_DATE

served="$BENCH_WORK/served"
mkdir -p "$served"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid git daemon --export-all --enable=receive-pack --reuseaddr --listen=127.0.0.1 --port="$port" \
    --base-path="$served" "$served" 2>"$BENCH_WORK/daemon.log" &
daemon=$!
trap 'kill -- -"$daemon" 2>/dev/null || kill "$daemon" 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
url() { echo "git://127.0.0.1:$port/$1"; }

# --- 1. the fleet ---------------------------------------------------------------------------
fleet() {
    local design=$1 name="fleet-$1" start elapsed
    local remote="$served/$name.git" dir="$BENCH_WORK/$name"
    rm -rf "$remote" "$dir"
    mkdir -p "$dir"
    git init -q --bare -b main "$remote"
    git init -q -b main "$dir/seed"
    git -C "$dir/seed" commit -q --allow-empty -m "release 1"
    git -C "$dir/seed" push -q "$(url "$name.git")" main
    for ((c = 0; c < clones; c++)); do
        git clone -q "$(url "$name.git")" "$dir/clone-$c"
        [ "$design" = shared ] || git -C "$dir/clone-$c" config timeturner.sync.publish "$design"
    done
    bench_log "$name: $clones clones × $marks marks, syncing after each"
    start=$(bench_now_ns)
    local pids=()
    for ((c = 0; c < clones; c++)); do
        (
            cd "$dir/clone-$c"
            for ((m = 0; m < marks; m++)); do
                "$bin" good --env production --evidence "clone $c mark $m" >/dev/null
                if "$bin" sync --json --timeout 600 >"$dir/sync-$c-$m.json" 2>"$dir/sync-$c-$m.err"; then :; else
                    echo "failed" >"$dir/sync-$c-$m.failed"
                fi
            done
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"   # not a bare `wait`: the git daemon is a background job too
    elapsed=$(bench_seconds_since "$start")
    local failed retries on_remote total=$((clones * marks))
    failed=$(find "$dir" -name 'sync-*.failed' | wc -l)
    retries=$(cat "$dir"/sync-*.json | awk -F': ' '/"retries"/ { gsub(/[^0-9]/, "", $2); s += $2 } END { print s + 0 }')
    # Every clone's own ref for per-clone, the shared ref otherwise, then a fetch-only sync
    # merges them all into one clone: what a reader sees.
    (cd "$dir/clone-0" && "$bin" sync --no-push >/dev/null)
    on_remote=$(cd "$dir/clone-0" && "$bin" registry list --env production --json | grep -c '"type": "good"')
    printf '  %s: %d syncs in %s s = %s syncs/s; %d failed; %d pushes refused and retried; %d of %d marks reached the remote\n' \
        "$name" "$total" "$elapsed" "$(awk -v n="$total" -v s="$elapsed" 'BEGIN { printf "%.2f", n / s }')" \
        "$failed" "$retries" "$on_remote" "$total"
    echo "sync fleet ($design): ${clones}x${marks} in ${elapsed} s, $(awk -v n="$total" -v s="$elapsed" 'BEGIN { printf "%.2f", n / s }') syncs/s, $failed failed, $retries retries, $on_remote/$total marks"
    [ "$on_remote" -eq "$total" ] || { echo "sync.sh: $name lost marks" >&2; exit 1; }
}

# --- 2. incremental cost ---------------------------------------------------------------------
# A served registry of COUNT marks (registry_gen.py: ~1,000 a month, so both sizes have the same
# newest month) and a clone of it that is up to date; each timed run is one `sync` that pushes
# the one mark the untimed PREPARE step added.
incremental_setup() {
    local count=$1 name="registry-$1" repo="$BENCH_WORK/gen-$1"
    rm -rf "$repo" "$served/$name.git" "$BENCH_WORK/clone-$count"
    git init -q -b main "$repo"
    python3 "$here/gen.py" history --commits 1000 | git -C "$repo" fast-import --quiet --export-marks="$repo/.git/history-marks"
    python3 "$here/registry_gen.py" --marks "$repo/.git/history-marks" --count "$count" --now "$(date +%s)" |
        git -C "$repo" fast-import --quiet
    git -C "$repo" reset -q --hard main
    git -C "$repo" gc -q --prune=now
    git clone -q --bare "$repo" "$served/$name.git"
    git -C "$served/$name.git" fetch -q "$repo" refs/timeturner/registry:refs/timeturner/registry
    git -C "$served/$name.git" gc -q --prune=now
    git clone -q "$(url "$name.git")" "$BENCH_WORK/clone-$count"
    (cd "$BENCH_WORK/clone-$count" && "$bin" sync >/dev/null)
    local have
    have=$(cd "$BENCH_WORK/clone-$count" && "$bin" registry list --env production --json | grep -c '"type": "' || true)
    [ "$have" -eq "$count" ] || { echo "sync.sh: clone of $name has $have marks, expected $count" >&2; exit 1; }
}

incremental() {
    bench_log "incremental: generating served registries of 1,000 and 100,000 marks"
    incremental_setup 1000
    incremental_setup 100000
    local small="$BENCH_WORK/clone-1000" large="$BENCH_WORK/clone-100000"
    # PREPARE adds one mark in both clones; each timed command pushes only its own.
    bench_pair "sync one new mark: 100,000 vs 1,000 marks" 1.5 "$runs" \
        "cd '$large' && '$bin' sync >/dev/null" \
        "cd '$small' && '$bin' sync >/dev/null" \
        "cd '$large' && '$bin' good --env production >/dev/null && cd '$small' && '$bin' good --env production >/dev/null"
    # The receiving side: another clone fetching that one mark.
    for count in 1000 100000; do
        rm -rf "$BENCH_WORK/reader-$count"
        git clone -q "$(url "registry-$count.git")" "$BENCH_WORK/reader-$count"
        (cd "$BENCH_WORK/reader-$count" && "$bin" sync --no-push >/dev/null)
    done
    bench_pair "sync --no-push receiving one new mark: 100,000 vs 1,000 marks" 1.5 "$runs" \
        "cd '$BENCH_WORK/reader-100000' && '$bin' sync --no-push >/dev/null" \
        "cd '$BENCH_WORK/reader-1000' && '$bin' sync --no-push >/dev/null" \
        "cd '$large' && '$bin' good --env production >/dev/null && '$bin' sync >/dev/null && cd '$small' && '$bin' good --env production >/dev/null && '$bin' sync >/dev/null"
}

case "${SYNC_ONLY:-all}" in
    fleet) for design in ${SYNC_DESIGNS:-shared per-clone}; do fleet "$design"; done ;;
    incremental) incremental ;;
    *) for design in ${SYNC_DESIGNS:-shared per-clone}; do fleet "$design"; done; incremental ;;
esac
