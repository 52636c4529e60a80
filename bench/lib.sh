# Shared helpers for benchmark suites. Sourced by every bench/suites/*.sh; see bench/README.md.
#
# A suite gets from bench/run:
#   TIMETURNER_BIN   the release binary (its directory is put first on PATH here, so that
#                    'git timeturner' runs exactly that binary and not an installed one)
#   BENCH_WORK       a work directory of its own under bench/work/ (kept between runs, git-ignored)
#   BENCH_RESULTS    (optional) a file where every compared figure is appended as one TSV line
#   TIMETURNER_VARIANT_BIN, TIMETURNER_VARIANT
#                    (optional) another build of the tool and what differs, for suites to time
#                    as information (bench/run sets them with BENCH_DYNAMIC=1)
#
# Figures are medians of wall-clock time: the machine is shared, and the median is the figure
# least moved by another process's burst.

set -euo pipefail

: "${TIMETURNER_BIN:?TIMETURNER_BIN must be the path of the release git-timeturner binary}"
: "${BENCH_WORK:?BENCH_WORK must be a work directory for this suite}"
mkdir -p "$BENCH_WORK"
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Hermetic git: no user or system configuration, a fixed identity, UTC. What is measured is the
# tools, not someone's ~/.gitconfig (hooks, fsmonitor, signing).
export HOME="$BENCH_WORK/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C
export GIT_AUTHOR_NAME="Bench User" GIT_AUTHOR_EMAIL="bench@example.com"
export GIT_COMMITTER_NAME="Bench User" GIT_COMMITTER_EMAIL="bench@example.com"
[ -f "$HOME/.gitconfig" ] || printf '[user]\n\tname = Bench User\n\temail = bench@example.com\n' >"$HOME/.gitconfig"
PATH="$(dirname "$TIMETURNER_BIN"):$PATH"
export PATH

bench_have_hyperfine() { command -v hyperfine >/dev/null 2>&1; }

# bench_log MESSAGE: progress on stderr, so that stdout carries only figures.
bench_log() { printf '  … %s\n' "$*" >&2; }

# bench_seconds_since START_NS: elapsed seconds with one decimal, for set-up steps.
bench_now_ns() { date +%s%N; }
bench_seconds_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

# bench_report NAME MEASURED BASELINE TARGET_RATIO [BASELINE_NAME] [UNIT]
# Prints "NAME: X ms vs baseline Y ms = R× (target ≤ T×) PASS|MISS" and records it. UNIT is ms
# unless given (MB for memory).
bench_report() {
    local name="$1" measured="$2" baseline="$3" target="$4" baseline_name="${5:-baseline}" unit="${6:-ms}"
    local ratio verdict
    ratio="$(awk -v m="$measured" -v b="$baseline" 'BEGIN { printf "%.2f", m / b }')"
    verdict="$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t) ? "PASS" : "MISS" }')"
    printf '%s: %s %s vs %s %s %s = %s× (target ≤ %s×) %s\n' \
        "$name" "$measured" "$unit" "$baseline_name" "$baseline" "$unit" "$ratio" "$target" "$verdict"
    if [ -n "${BENCH_RESULTS:-}" ]; then
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$measured" "$baseline_name" "$baseline" "$ratio" "$target" "$verdict" "$unit" \
            >>"$BENCH_RESULTS"
    fi
}

# bench_pair NAME TARGET RUNS COMMAND BASELINE [PREPARE]
#
# Times COMMAND and BASELINE in the same run and reports the ratio of their medians against
# TARGET, then the same ratio in CPU time (user + system), which other processes on a shared
# machine disturb much less than wall time. The runs are split into four rounds in alternating
# order (A B, B A, A B, B A) so that a burst of load falls on both sides alike; merge-runs.py
# puts the rounds back together. Both are shell command lines run by `sh -c`; hyperfine measures
# the shell's own start-up and subtracts it, so a baseline of two commands joined by '&&' is not
# penalised. PREPARE, when given, runs untimed before every run of either command (e.g. to
# choose a fresh commit).
#
# Without hyperfine, a loop does the same with `date +%s%N` (less precise: it includes the
# shell's start-up in both figures, and reports no CPU time).
bench_pair() {
    local name="$1" target="$2" runs="$3" command="$4" baseline="$5" prepare="${6:-}"
    local json="$BENCH_WORK/${name//[^A-Za-z0-9_-]/_}.json"
    local measured reference
    if bench_have_hyperfine; then
        local rounds=4 round per
        per=$(((runs + rounds - 1) / rounds))
        local parts=()
        for ((round = 0; round < rounds; round++)); do
            local args=(--style none --warmup 2 --runs "$per" --export-json "$json.$round")
            [ -n "$prepare" ] && args+=(--prepare "$prepare")
            if ((round % 2 == 0)); then
                args+=(--command-name measured "$command" --command-name baseline "$baseline")
            else
                args+=(--command-name baseline "$baseline" --command-name measured "$command")
            fi
            hyperfine "${args[@]}" >/dev/null
            parts+=("$json.$round")
        done
        python3 "$BENCH_DIR/merge-runs.py" "$json" "${parts[@]}"
        rm -f "${parts[@]}"
        measured="$(bench_json_median "$json" 0)"
        reference="$(bench_json_median "$json" 1)"
        printf '  %s: median %s ms (mean %s ± %s, min %s); baseline: median %s ms (mean %s ± %s, min %s); %s runs each\n' \
            "$name" "$measured" "$(bench_json_field "$json" 0 mean)" "$(bench_json_field "$json" 0 stddev)" \
            "$(bench_json_field "$json" 0 min)" "$reference" "$(bench_json_field "$json" 1 mean)" \
            "$(bench_json_field "$json" 1 stddev)" "$(bench_json_field "$json" 1 min)" "$((per * rounds))" >&2
        bench_report "$name" "$measured" "$reference" "$target"
        bench_report "$name (CPU)" "$(bench_json_cpu "$json" 0)" "$(bench_json_cpu "$json" 1)" "$target"
    else
        measured="$(bench_loop_median "$runs" "$command" "$prepare")"
        reference="$(bench_loop_median "$runs" "$baseline" "$prepare")"
        bench_report "$name" "$measured" "$reference" "$target"
    fi
}

# bench_time NAME RUNS COMMAND [PREPARE]: times one command on its own and prints its median as
# information (no target). Used for floors and variants that explain a figure.
bench_time() {
    local name="$1" runs="$2" command="$3" prepare="${4:-}"
    local json="$BENCH_WORK/${name//[^A-Za-z0-9_-]/_}.json" median
    if bench_have_hyperfine; then
        local args=(--style none --warmup 3 --runs "$runs" --export-json "$json")
        [ -n "$prepare" ] && args+=(--prepare "$prepare")
        hyperfine "${args[@]}" --command-name "$name" "$command" >/dev/null
        median="$(bench_json_median "$json" 0)"
    else
        median="$(bench_loop_median "$runs" "$command" "$prepare")"
    fi
    printf '  %s: %s ms (median; information)\n' "$name" "$median"
    [ -f "$json" ] && bench_have_hyperfine && printf '    (mean %s ± %s, min %s; %s runs)\n' "$(bench_json_field "$json" 0 mean)" \
        "$(bench_json_field "$json" 0 stddev)" "$(bench_json_field "$json" 0 min)" "$runs" >&2
    return 0
}

# bench_json_median FILE INDEX: the median of result INDEX in hyperfine's JSON export, in ms.
bench_json_median() { bench_json_field "$1" "$2" median; }
bench_json_field() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
result = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]
print(f"{result[sys.argv[3]] * 1000:.2f}")
EOF
}

# bench_json_cpu FILE INDEX: mean user + system CPU time of result INDEX, in ms.
bench_json_cpu() {
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print("%.2f" % ((r["user"] + r["system"]) * 1000))' "$1" "$2"
}

# bench_loop_median RUNS COMMAND [PREPARE]: median wall time of COMMAND in ms (fallback timer).
bench_loop_median() {
    local runs="$1" command="$2" prepare="${3:-}" i start end
    local times=()
    for ((i = 0; i < runs + 3; i++)); do
        [ -n "$prepare" ] && sh -c "$prepare" >/dev/null
        start="$(date +%s%N)"
        sh -c "$command" >/dev/null 2>&1
        end="$(date +%s%N)"
        ((i >= 3)) && times+=("$((end - start))")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m / 1e6 }'
}

# bench_peak_heap LABEL COMMAND…: the peak of what one run of COMMAND allocates (malloc and
# friends, with their bookkeeping), from valgrind's massif; unlike RSS it does not count mapped
# files. The run is slow under valgrind; time is not what is measured. Give it a binary without
# debug information (valgrind 3.19 cannot read the DWARF 5 of the Swift release build).
bench_peak_heap() {
    local label="$1"; shift
    local out="$BENCH_WORK/massif.out" bytes
    rm -f "$out"
    valgrind --tool=massif --massif-out-file="$out" "$@" >/dev/null 2>&1 || true
    if [ ! -s "$out" ]; then
        printf '%s: peak heap not measured (valgrind wrote no profile)\n' "$label"
        return
    fi
    bytes="$(awk -F= '/^mem_heap_B=/ { h = $2 } /^mem_heap_extra_B=/ { if (h + $2 > max) max = h + $2 } END { print max + 0 }' "$out")"
    awk -v label="$label" -v b="$bytes" 'BEGIN { printf "%s: peak heap %.1f MB\n", label, b / 1048576 }'
}

# bench_memory_parts LABEL COMMAND…: one run of COMMAND with bench/memory-probe.c preloaded,
# printing its peak resident memory and, at exit, the anonymous part (what it allocated: heap,
# stacks, arenas; the tool never returns freed heap to the kernel, so this is also its peak) and
# the file-backed part, with the mapped file holding the most of it. Sets MEMORY_PEAK_KB and
# MEMORY_ANON_KB for the caller.
bench_memory_parts() {
    local label="$1"; shift
    local probe="$BENCH_WORK/memory-probe.so" out="$BENCH_WORK/memory-probe.txt"
    [ -f "$probe" ] || gcc -O2 -shared -fPIC -o "$probe" "$BENCH_DIR/memory-probe.c"
    rm -f "$out"
    MEMORY_PROBE_OUT="$out" LD_PRELOAD="$probe" "$@" >/dev/null 2>&1 || true
    if [ ! -s "$out" ]; then
        printf '%s: memory not measured (the probe wrote nothing)\n' "$label"
        MEMORY_PEAK_KB="" MEMORY_ANON_KB=""
        return
    fi
    MEMORY_PEAK_KB="$(awk -F= '$1 == "peak_kb" { print $2 }' "$out")"
    MEMORY_ANON_KB="$(awk -F= '$1 == "anon_kb" { print $2 }' "$out")"
    awk -F= -v label="$label" '{ v[$1] = $2 } END {
        n = split(v["largest"], parts, "/")
        printf "%s: peak RSS %.1f MB; at exit anonymous %.1f MB, file-backed %.1f MB (most in %s: %.1f MB)\n",
            label, v["peak_kb"] / 1024, v["anon_kb"] / 1024, v["file_kb"] / 1024, parts[n], v["largest_kb"] / 1024 }' "$out"
}

# bench_peak_memory LABEL COMMAND…: peak resident memory of one run of COMMAND, via GNU time
# (apt package `time`), whose report goes to a file so the command's own output cannot mix in.
bench_peak_memory() {
    local label="$1"; shift
    if [ ! -x /usr/bin/time ]; then
        printf '%s: peak memory not measured (/usr/bin/time missing; apt install time)\n' "$label"
        return
    fi
    local report="$BENCH_WORK/time-v.txt" kb
    /usr/bin/time -v -o "$report" "$@" >/dev/null 2>&1 || true
    kb="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$report")"
    awk -v label="$label" -v kb="$kb" 'BEGIN { printf "%s: peak memory %.1f MB\n", label, kb / 1024 }'
}
