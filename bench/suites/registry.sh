#!/usr/bin/env bash
# Registry benchmark: `good` and `last-good` on registries of 1,000 and 100,000 marks.
#
#   TIMETURNER_BIN=.build/release/git-timeturner BENCH_WORK=/tmp/bench bench/suites/registry.sh
#
# Targets (issue 3): on the large registry, `good` and `last-good` take at most 1.5x their time on
# the small one (cost must not grow with history), and `last-good` on the large registry takes at
# most 2x `git timeturner --version` (the start-up floor). Prints one line per timing and one
# report line per target (bench/lib.sh's bench_report, PASS or MISS, wall clock and CPU time);
# like every suite, a missed target is reported, not a failed run.
#
# Uses hyperfine when it is installed (apt-get install -y hyperfine), else a loop timed with
# `date +%s%N` (median of the runs).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${TIMETURNER_BIN:?set TIMETURNER_BIN to a release-built git-timeturner}"
work="${BENCH_WORK:?set BENCH_WORK to a scratch directory}"
runs="${BENCH_RUNS:-40}"
case "$bin" in /*) ;; *) bin="$(pwd)/$bin" ;; esac
[ -x "$bin" ] || { echo "registry.sh: $bin is not executable" >&2; exit 1; }

mkdir -p "$work/registry-home"
export HOME="$work/registry-home" GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C NO_COLOR=1
export GIT_COMMITTER_NAME="Bench Bot" GIT_COMMITTER_EMAIL="bench@example.com"
export GIT_AUTHOR_NAME="Bench Bot" GIT_AUTHOR_EMAIL="bench@example.com"
unset GIT_COMMITTER_DATE GIT_AUTHOR_DATE

now=$(date +%s)

# One repository per size: the same 1,000-commit code history (gen.py), plus the registry.
make_repo() {
    local count=$1 repo="$work/registry-$1"
    rm -rf "$repo"
    git init -q -b main "$repo"
    python3 "$here/gen.py" history --commits 1000 |
        git -C "$repo" fast-import --quiet --export-marks="$repo/.git/history-marks"
    python3 "$here/registry_gen.py" --marks "$repo/.git/history-marks" --count "$count" --now "$now" |
        git -C "$repo" fast-import --quiet
    git -C "$repo" reset -q --hard main
    # Packed like a repository that has lived a while (fast-import's packs are not delta-optimal).
    git -C "$repo" gc -q --aggressive --prune=now
}

# Median wall time of a command in milliseconds, run in a directory.
time_ms() {
    local dir=$1; shift
    if command -v hyperfine >/dev/null; then
        local json="$work/registry-hyperfine.json"
        (cd "$dir" && hyperfine --style none --warmup 3 --runs "$runs" -N --export-json "$json" "$*" >/dev/null 2>&1 ||
            hyperfine --style none --warmup 3 --runs "$runs" --export-json "$json" "$*" >/dev/null)
        # Median wall time, then mean CPU time (user + system): the second is steadier on a busy machine.
        python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.2f %.2f" % (r["median"] * 1000, (r["user"] + r["system"]) * 1000))' "$json"
    else
        local samples=() i start end
        for i in 1 2 3; do (cd "$dir" && "$@" >/dev/null); done
        for ((i = 0; i < runs; i++)); do
            start=$(date +%s%N)
            (cd "$dir" && "$@" >/dev/null)
            end=$(date +%s%N)
            samples+=($(( (end - start) / 1000 )))
        done
        printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f -\n", a[int((NR + 1) / 2)] / 1000 }'
    fi
}

echo "registry: generating registries of 1,000 and 100,000 marks in $work"
make_repo 1000
make_repo 100000
for count in 1000 100000; do
    repo="$work/registry-$count"
    lines=$(git -C "$repo" ls-tree -r refs/timeturner/registry --name-only | while read -r f; do git -C "$repo" show "refs/timeturner/registry:$f"; done | wc -l)
    shards=$(git -C "$repo" ls-tree -r refs/timeturner/registry --name-only | wc -l)
    [ "$lines" -eq "$count" ] || { echo "registry.sh: expected $count marks in $repo, found $lines" >&2; exit 1; }
    (cd "$repo" && "$bin" last-good --env production >/dev/null) || { echo "registry.sh: last-good failed on $repo" >&2; exit 1; }
    echo "registry: $count marks in $shards monthly shards; newest month $(git -C "$repo" show "refs/timeturner/registry:marks/production/$(date -u +%Y-%m).jsonl" | wc -l) marks"
done

head_small=$(git -C "$work/registry-1000" rev-parse HEAD)
read -r version version_cpu < <(time_ms "$work/registry-1000" "$bin" --version)
read -r lg_small lg_small_cpu < <(time_ms "$work/registry-1000" "$bin" last-good --env production)
read -r lg_large lg_large_cpu < <(time_ms "$work/registry-100000" "$bin" last-good --env production)
read -r good_small good_small_cpu < <(time_ms "$work/registry-1000" "$bin" good "$head_small" --env production --evidence benchmark)
read -r good_large good_large_cpu < <(time_ms "$work/registry-100000" "$bin" good "$head_small" --env production --evidence benchmark)

printf 'registry: %-30s %9s %12s\n' "" "median ms" "cpu ms"
printf 'registry: %-30s %9s %12s\n' "--version" "$version" "$version_cpu" \
    "last-good (1,000 marks)" "$lg_small" "$lg_small_cpu" "last-good (100,000 marks)" "$lg_large" "$lg_large_cpu" \
    "good (1,000 marks)" "$good_small" "$good_small_cpu" "good (100,000 marks)" "$good_large" "$good_large_cpu"

# Reported through bench/lib.sh so the figures join bench/run's summary.
source "$here/lib.sh"
bench_report "registry good: 100,000 marks" "$good_large" "$good_small" 1.5 "1,000 marks"
bench_report "registry last-good: 100,000 marks" "$lg_large" "$lg_small" 1.5 "1,000 marks"
bench_report "registry last-good (100,000 marks)" "$lg_large" "$version" 2 "--version"
if [ "$version_cpu" != "-" ]; then
    bench_report "registry good: 100,000 marks (CPU)" "$good_large_cpu" "$good_small_cpu" 1.5 "1,000 marks"
    bench_report "registry last-good: 100,000 marks (CPU)" "$lg_large_cpu" "$lg_small_cpu" 1.5 "1,000 marks"
    bench_report "registry last-good (100,000 marks) (CPU)" "$lg_large_cpu" "$version_cpu" 2 "--version"
fi
