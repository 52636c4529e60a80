#!/usr/bin/env bash
# History benchmark (issue 14): does a command's cost grow with the length of history?
#
#   bash bench/run history
#   HISTORY_SIZES="10000 100000" bash bench/run history      # skip the million
#
# Repositories of 10,000, 100,000 and 1,000,000 commits (`gen.py long`: 16 one-line files, so
# they grow by one commit object per commit), and clock-skewed variants of the smallest and the
# largest (`--skew 1000`: the newest 1,000 commits dated before all their ancestors, each before
# its parent), each with the same registry (`registry_gen.py`: 1,000 marks on the newest 500
# commits, the newest a bad one). Without a commit-graph, as `git fast-import` and a fresh
# clone leave them; the largest is also measured with one (`git commit-graph write`).
#
# Targets: every command on the largest within 1.2x of the same command on the smallest (the
# skewed ones against the skewed smallest), peak memory within 10%. `git merge-base
# --is-ancestor` is timed beside `rollback --dry-run` as information: the same question, git's
# answer.
source "$(dirname "$0")/../lib.sh"

RUNS="${BENCH_RUNS:-20}"
read -r -a sizes <<<"${HISTORY_SIZES:-10000 100000 1000000}"
small="${sizes[0]}"
large="${sizes[${#sizes[@]} - 1]}"
now=$(date +%s)

# make_repo NAME COMMITS SKEW: generated once and cached (the million takes a minute or two).
make_repo() {
    local name="$1" commits="$2" skew="$3" repo="$BENCH_WORK/$1"
    if [ -f "$repo/.git/bench-ready" ]; then return; fi
    local start
    start="$(bench_now_ns)"
    rm -rf "$repo"
    git init -q -b main "$repo"
    python3 "$BENCH_DIR/gen.py" long --commits "$commits" --skew "$skew" |
        git -C "$repo" fast-import --quiet --export-marks="$repo/.git/history-marks"
    python3 "$BENCH_DIR/registry_gen.py" --marks "$repo/.git/history-marks" --count 1000 --now "$now" |
        git -C "$repo" fast-import --quiet
    git -C "$repo" reset -q --hard main
    git -C "$repo" update-ref refs/bench/registry refs/timeturner/registry
    touch "$repo/.git/bench-ready"
    bench_log "$name: $commits commits (skew $skew) in $(bench_seconds_since "$start") s, $(du -sh "$repo/.git" | cut -f1)"
}

names=()
for n in "${sizes[@]}"; do make_repo "linear-$n" "$n" 0; names+=("linear-$n"); done
make_repo "skewed-$small" "$small" 1000
if [ "$large" != "$small" ]; then make_repo "skewed-$large" "$large" 1000; fi

# The commit a rollback goes back to: 50 commits below HEAD, inside the skewed stretch.
target_of() { git -C "$BENCH_WORK/$1" rev-parse main~50; }
graph() { # graph NAME on|off
    local dir="$BENCH_WORK/$1/.git/objects/info"
    if [ "$2" = on ]; then
        [ -f "$dir/commit-graph" ] || [ -f "$dir/commit-graph.off" ] || git -C "$BENCH_WORK/$1" commit-graph write --reachable
        [ -f "$dir/commit-graph.off" ] && mv "$dir/commit-graph.off" "$dir/commit-graph"
    else
        [ -f "$dir/commit-graph" ] && mv "$dir/commit-graph" "$dir/commit-graph.off"
    fi
    return 0
}
for name in "${names[@]}" "skewed-$small" "skewed-$large"; do graph "$name" off; done

in_repo() { printf 'cd %q && %s' "$BENCH_WORK/$1" "$2"; }
reset_registry() { printf 'git -C %q update-ref refs/timeturner/registry refs/bench/registry' "$BENCH_WORK/$1"; }

echo "history: $(for n in "${sizes[@]}"; do printf '%s ' "$n"; done)commits; targets: largest ≤ 1.2× smallest"

compare() { # compare LABEL NAME_LARGE NAME_SMALL COMMAND [PREPARE_FOR...]
    local label="$1" big="$2" little="$3" command="$4"
    local prepare_big="${5:-}" prepare_little="${6:-}"
    local prepare=""
    [ -n "$prepare_big" ] && prepare="$prepare_big; $prepare_little"
    bench_pair "$label" 1.2 "$RUNS" "$(in_repo "$big" "$command")" "$(in_repo "$little" "$command")" "$prepare"
}

big="linear-$large" little="linear-$small"
compare "last-good, $large vs $small commits" "$big" "$little" "git timeturner last-good --env production >/dev/null"
compare "last-good skewed, $large vs $small commits" "skewed-$large" "skewed-$small" "git timeturner last-good --env production >/dev/null"
compare "good, $large vs $small commits" "$big" "$little" "git timeturner good HEAD~3 --env production >/dev/null" \
    "$(reset_registry "$big")" "$(reset_registry "$little")"
compare "show <commit> (no note), $large vs $small commits" "$big" "$little" "git timeturner show HEAD~7 >/dev/null"
compare "status, $large vs $small commits" "$big" "$little" "git timeturner status >/dev/null"
for kind in linear skewed; do
    b="$kind-$large" l="$kind-$small"
    bench_pair "rollback --dry-run $kind, $large vs $small commits" 1.2 "$RUNS" \
        "$(in_repo "$b" "git timeturner rollback --to $(target_of "$b") --dry-run >/dev/null")" \
        "$(in_repo "$l" "git timeturner rollback --to $(target_of "$l") --dry-run >/dev/null")"
    # Without a commit-graph git walks the whole skewed history (about 26 s at a million): a few runs.
    bench_time "git merge-base --is-ancestor, $kind $large" "$([ "$kind" = skewed ] && echo 2 || echo "$RUNS")" \
        "$(in_repo "$b" "git merge-base --is-ancestor $(target_of "$b") HEAD")"
done

# The same with a commit-graph on the largest (written once, kept as commit-graph.off between runs).
for kind in linear skewed; do
    graph "$kind-$large" on
    bench_time "last-good $kind $large, with a commit-graph" "$RUNS" "$(in_repo "$kind-$large" "git timeturner last-good --env production >/dev/null")"
    bench_time "rollback --dry-run $kind $large, with a commit-graph" "$RUNS" \
        "$(in_repo "$kind-$large" "git timeturner rollback --to $(target_of "$kind-$large") --dry-run >/dev/null")"
    bench_time "git merge-base --is-ancestor $kind $large, with a commit-graph" "$RUNS" \
        "$(in_repo "$kind-$large" "git merge-base --is-ancestor $(target_of "$kind-$large") HEAD")"
    graph "$kind-$large" off
done

# Memory: the largest within 10% of the smallest, for each command. Two figures each, from one
# run with bench/memory-probe.c preloaded (the binary run directly, not through the `git`
# wrapper, whose own process would be measured too): the peak RSS, which /usr/bin/time reports,
# and the anonymous memory at exit, which is what the command allocated (massif's peak heap,
# below, agrees). The peak counts every page of a mapped file the process touched: the pack
# index libgit2 maps whole and binary-searches, whose page-cache folios the kernel maps whole
# on each fault (~130 KB apiece here for an index git wrote), so it grows with the index for
# git answering the same question too (`git merge-base --is-ancestor`, measured alike).
memory_pair() { # memory_pair LABEL KIND TARGET COMMAND... ({target} in COMMAND: the repository's main~50)
    local label="$1" kind="$2" target="$3"; shift 3
    local name arg peak=() anon=()
    for name in "$kind-$small" "$kind-$large"; do
        local args=()
        for arg in "$@"; do args+=("${arg//\{target\}/$(target_of "$name")}"); done
        cd "$BENCH_WORK/$name"
        bench_memory_parts "$label, $name" "${args[@]}"
        cd "$BENCH_WORK"
        peak+=("$MEMORY_PEAK_KB"); anon+=("$MEMORY_ANON_KB")
    done
    [ -n "${peak[0]}" ] && [ -n "${peak[1]}" ] || return 0
    local mb='BEGIN { printf "%.1f", kb / 1024 }'
    bench_report "$label peak RSS, $kind $large vs $small" "$(awk -v kb="${peak[1]}" "$mb")" "$(awk -v kb="${peak[0]}" "$mb")" \
        "$target" "$small commits" MB
    bench_report "$label anonymous, $kind $large vs $small" "$(awk -v kb="${anon[1]}" "$mb")" "$(awk -v kb="${anon[0]}" "$mb")" \
        "$target" "$small commits" MB
}
for kind in linear skewed; do
    memory_pair "last-good" "$kind" 1.1 "$TIMETURNER_BIN" last-good --env production
    memory_pair "rollback --dry-run" "$kind" 1.1 "$TIMETURNER_BIN" rollback --to "{target}" --dry-run
done
memory_pair "status" linear 1.1 "$TIMETURNER_BIN" status
# git asking the ancestry question the dry run asks: information (its peak grows as the tool's).
for name in "linear-$small" "linear-$large"; do
    (cd "$BENCH_WORK/$name" && bench_memory_parts "git merge-base --is-ancestor (information), $name" \
        git merge-base --is-ancestor "$(target_of "$name")" HEAD)
done
# What the dry run allocates at its peak, apart from mapped files (valgrind's massif).
stripped="$BENCH_WORK/git-timeturner-stripped"
if command -v valgrind >/dev/null; then
    strip -g -o "$stripped" "$TIMETURNER_BIN"
    for name in "linear-$small" "linear-$large"; do
        (cd "$BENCH_WORK/$name" && bench_peak_heap "rollback --dry-run, $name" \
            "$stripped" rollback --to "$(target_of "$name")" --dry-run)
    done
fi
