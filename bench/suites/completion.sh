#!/usr/bin/env bash
# Shell completion (issue 13): `git timeturner __complete`, what every Tab press runs, in a
# repository with 10,000 points (packed refs, as after `git gc`). Target: under 30 ms each.
#
#   to-all       `rollback --to <TAB>`: all 10,000 point ids (too many to read subjects for)
#   to-prefix    `rollback --to 2026…<TAB>` narrowed to a few ids, each with its subject
#   subcommand   `roll<TAB>`: from the argument definitions alone, no repository read
#   bash-form    `rollback --to <TAB>` in the form the bash script asks for (values only)
#   bash         the same `rollback --to <TAB>` through bash: git's completion, our script, the
#                binary (bash's own start-up and bash-completion's loading are left out: they
#                are sourced once per shell, not per Tab press)
#   version      `--version`, the floor of any run of the binary (information)
#
# Run by bench/run, which sets TIMETURNER_BIN and BENCH_WORK (see bench/README.md).
source "$(dirname "$0")/../lib.sh"

POINTS=10000
COMMITS="${BENCH_COMPLETION_COMMITS:-12000}"
RUNS="${BENCH_RUNS:-30}"
BUDGET_MS=30
gen="$BENCH_DIR/gen.py"
work="$BENCH_WORK"
repo="$work/completion-$POINTS.git"

if [ ! -f "$repo/bench-complete" ]; then
    rm -rf "$repo"
    git init -q --bare -b main "$repo"
    start="$(bench_now_ns)"
    python3 "$gen" history --commits "$COMMITS" | git -C "$repo" fast-import --quiet --export-marks="$repo/bench-marks"
    python3 "$gen" points --marks "$repo/bench-marks" --points "$POINTS" \
        --updates "$repo/bench-updates" --targets "$repo/bench-targets" | git -C "$repo" fast-import --quiet
    git -C "$repo" update-ref --stdin <"$repo/bench-updates"
    git -C "$repo" pack-refs --all
    git -C "$repo" repack -adq
    echo "generated $COMMITS commits and $POINTS points in $(bench_seconds_since "$start") s"
    touch "$repo/bench-complete"
fi
found="$(git -C "$repo" for-each-ref refs/timeturner/points/ | wc -l)"
[ "$found" -eq "$POINTS" ] || { echo "error: $repo has $found points, expected $POINTS" >&2; exit 1; }
cd "$repo"

# A prefix that a handful of ids share: the first 13 characters of the newest id.
newest="$(git for-each-ref --sort=-refname --count=1 --format='%(refname:lstrip=3)' refs/timeturner/points/)"
prefix="${newest:0:13}"
matches="$(git timeturner __complete -- rollback --to "$prefix" | tail -n +2 | wc -l)"
all="$(git timeturner __complete -- rollback --to '' | tail -n +2 | wc -l)"
bench_log "rollback --to <TAB> offers $all candidates; '$prefix' narrows it to $matches"

# median NAME COMMAND: the median wall time in ms (hyperfine when installed, else a shell loop).
median() {
    local name="$1" command="$2" json="$work/${1//[^A-Za-z0-9_-]/_}.json"
    if bench_have_hyperfine; then
        hyperfine --style none --warmup 3 --runs "$RUNS" --export-json "$json" --command-name "$name" "$command" >/dev/null
        bench_json_median "$json" 0
    else
        bench_loop_median "$RUNS" "$command"
    fi
}

# time NAME LABEL COMMAND: the wall-clock median against the budget and, with hyperfine, the
# CPU time (user + system) too: on a shared machine other processes stretch wall time, CPU time
# much less.
time_against_budget() {
    local name="$1" label="$2" command="$3" measured
    measured="$(median "$name" "$command")"
    bench_report "$label" "$measured" "$BUDGET_MS" 1.0 "budget"
    if bench_have_hyperfine; then
        bench_report "$label (CPU)" "$(bench_json_cpu "$work/$name.json" 0)" "$BUDGET_MS" 1.0 "budget"
    fi
}

report() {
    local name="$1" measured="$2"
    bench_report "$name" "$measured" "$BUDGET_MS" 1.0 "budget"
}

time_against_budget to-all "complete: rollback --to <TAB>, $POINTS points" "git timeturner __complete -- rollback --to ''"
time_against_budget to-prefix "complete: rollback --to $prefix<TAB>" "git timeturner __complete -- rollback --to '$prefix'"
time_against_budget subcommand "complete: roll<TAB>" "git timeturner __complete -- roll"
time_against_budget bash-form "complete: rollback --to <TAB> as bash asks (--values-only)" \
    "git timeturner __complete --values-only '--suffix= ' -- rollback --to ''"

# Through bash: a driver that has sourced bash-completion, git's completion and our script
# once, then completes `git timeturner rollback --to ` RUNS times; the median of those.
driver="$work/bash-driver.sh"
cat >"$driver" <<DRIVER
source /usr/share/bash-completion/bash_completion
__load_completion git
source "$BENCH_DIR/../completions/git-timeturner.bash"
COMP_WORDS=(git timeturner rollback --to '') COMP_CWORD=4 COMP_LINE='git timeturner rollback --to ' COMP_POINT=29
times=()
# EPOCHREALTIME, not \$(date): a command substitution forks this bash (about 2 ms with
# bash-completion loaded) and runs date, inside the interval it measures.
for ((i = 0; i < $RUNS + 3; i++)); do
    start=\${EPOCHREALTIME/./}
    __git_wrap__git_main git '' --to
    end=\${EPOCHREALTIME/./}
    ((i >= 3)) && times+=(\$((end - start)))
done
[ "\${#COMPREPLY[@]}" -ge $POINTS ] || { echo "bash offered \${#COMPREPLY[@]} candidates" >&2; exit 1; }
printf '%s\n' "\${times[@]}" | sort -n | awk '{ a[NR] = \$1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1e3 }'
DRIVER
if [ -f /usr/share/bash-completion/bash_completion ]; then
    report "complete in bash: rollback --to <TAB>, $POINTS points" "$(bash "$driver")"
else
    echo "complete in bash: not measured (bash-completion is not installed)"
fi
bench_time "version: --version, the floor of any run" "$RUNS" "git timeturner --version"
