#!/usr/bin/env bash
# Rollback benchmark: on a 100,000-commit history, undo the last 50 commits (which touch 50
# different files) with `git timeturner rollback` and compare, in the same run, with what git
# itself does:
#   revert mode  vs  git revert --no-commit <target>..HEAD && git commit   (target: <= 0.1x)
#   reset mode   vs  git reset --hard <target>                              (target: <= 1.5x)
# plus the peak resident memory of one revert-mode rollback (target: < 64 MiB).
#
# Standalone: TIMETURNER_BIN = the release binary (default .build/release/git-timeturner),
# BENCH_WORK = a work directory (default: a new temporary one), BENCH_COMMITS = history size.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${TIMETURNER_BIN:-$here/../.build/release/git-timeturner}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
work=${BENCH_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/timeturner-bench-XXXXXX")}
commits=${BENCH_COMMITS:-100000}
runs=${BENCH_RUNS:-10}
mkdir -p "$work"

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$work TZ=UTC LC_ALL=C
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

repo=$work/rollback-$commits
if [ ! -d "$repo/.git" ]; then
    echo "generating a $commits-commit history in $repo" >&2
    git init -q -b main "$repo"
    python3 "$here/gen.py" history --commits "$commits" | git -C "$repo" fast-import --quiet
    git -C "$repo" checkout -q main
    # 50 commits, each changing one different file: what the rollback undoes.
    git -C "$repo" ls-files 'src/*' | head -50 | while read -r f; do
        printf 'bench change\n' >> "$repo/$f"
        git -C "$repo" commit -q -am "bench: change $f"
    done
    git -C "$repo" gc -q
fi
cd "$repo"
head=$(git rev-parse HEAD)
target=$(git rev-parse HEAD~50)
echo "repository: $(git rev-list --count HEAD) commits, $(git ls-files | wc -l) files; undoing $(git diff --name-only "$target" HEAD | wc -l) files in 50 commits" >&2

# Every run starts from the same state: branch at $head, clean work tree, no lock.
restore="git reset -q --hard $head && rm -f .git/timeturner/lock .git/timeturner/state.json"
json=$work/rollback-results
mkdir -p "$json"

hyperfine --style basic --runs "$runs" --warmup 2 --prepare "$restore" \
    --export-json "$json/revert.json" \
    -n "git revert --no-commit + commit" "git revert --no-commit $target..HEAD && git commit -q -m bench" \
    -n "timeturner rollback (revert)" "$bin rollback --to $target --yes"

hyperfine --style basic --runs "$runs" --warmup 2 --prepare "$restore" \
    --export-json "$json/reset.json" \
    -n "git reset --hard" "git reset -q --hard $target" \
    -n "timeturner rollback --mode reset" "$bin rollback --to $target --mode reset --yes"

eval "$restore"
/usr/bin/time -o "$json/rss" -f '%M' "$bin" rollback --to "$target" --yes >/dev/null 2>&1
rss=$(tail -1 "$json/rss")
eval "$restore"

python3 - "$json" "$rss" <<'PY'
import json, sys
d, rss = sys.argv[1], int(sys.argv[2])
def means(name):
    r = json.load(open(f"{d}/{name}.json"))["results"]
    return r[0]["mean"], r[1]["mean"]
git_revert, tt_revert = means("revert")
git_reset, tt_reset = means("reset")
print(f"revert: timeturner {tt_revert*1000:.1f} ms vs git {git_revert*1000:.1f} ms = {tt_revert/git_revert:.3f}x (target <= 0.1x)")
print(f"reset:  timeturner {tt_reset*1000:.1f} ms vs git {git_reset*1000:.1f} ms = {tt_reset/git_reset:.2f}x (target <= 1.5x)")
print(f"peak RSS of one revert-mode rollback: {rss/1024:.1f} MiB (target < 64 MiB)")
PY
