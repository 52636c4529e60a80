#!/usr/bin/env bash
# Registry benchmark: `good` and `last-good` on registries of 1,000 and 100,000 marks.
#
#   TIMETURNER_BIN=.build/release/git-timeturner BENCH_WORK=/tmp/bench bench/suites/registry.sh
#
# Targets (issue 3): on the large registry, `good` and `last-good` take at most 1.5x their time on
# the small one (cost must not grow with history), and `last-good` on the large registry takes at
# most 2x `git timeturner --version` (the start-up floor). Each pair is timed interleaved in the
# same run (bench/lib.sh's bench_pair) and reported as PASS or MISS, in wall clock and CPU time;
# like every suite, a missed target is reported, not a failed run.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${TIMETURNER_BIN:?set TIMETURNER_BIN to a release-built git-timeturner}"
work="${BENCH_WORK:?set BENCH_WORK to a scratch directory}"
runs="${BENCH_RUNS:-40}"
case "$bin" in /*) ;; *) bin="$(pwd)/$bin" ;; esac
[ -x "$bin" ] || { echo "registry.sh: $bin is not executable" >&2; exit 1; }

source "$here/lib.sh"
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
small="$work/registry-1000" large="$work/registry-100000"
in_repo() { printf 'cd %q && %s' "$1" "$2"; }

# Each pair is timed in the same run, interleaved (bench/lib.sh's bench_pair: four rounds in
# alternating order), so that the VM's drift from one minute to the next falls on both sides
# alike; timed one after the other, the same command's median had moved by 30% between two
# hyperfine runs on this VM.
bench_pair "registry good: 100,000 marks vs 1,000" 1.5 "$runs" \
    "$(in_repo "$large" "$bin good $head_small --env production --evidence benchmark >/dev/null")" \
    "$(in_repo "$small" "$bin good $head_small --env production --evidence benchmark >/dev/null")"
bench_pair "registry last-good: 100,000 marks vs 1,000" 1.5 "$runs" \
    "$(in_repo "$large" "$bin last-good --env production >/dev/null")" \
    "$(in_repo "$small" "$bin last-good --env production >/dev/null")"
bench_pair "registry last-good (100,000 marks) vs --version" 2 "$runs" \
    "$(in_repo "$large" "$bin last-good --env production >/dev/null")" \
    "$(in_repo "$small" "$bin --version >/dev/null")"
