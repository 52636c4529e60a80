#!/usr/bin/env bash
# Rollback (issue 4), against plain git doing the same work, on a 100,000-commit history whose
# last 50 commits each change a different file:
#
#   revert   `git timeturner rollback --to HEAD~50 --yes` (one revert commit with the target's
#            tree, safety ref, lock, state, journal) vs `git revert --no-commit HEAD~50..HEAD &&
#            git commit` (target: at most 0.12x, issue 14)
#   reset    `git timeturner rollback --to HEAD~50 --mode reset --yes` vs `git reset --hard
#            HEAD~50` (target: at most 2.0x, issue 14)
#   same job the two rollbacks vs plain git doing the same job: the same refusal of uncommitted
#            work, a safety backup under a ref, synced records before and after the change, the
#            reset or revert, a journal commit (bench/git-same-job.sh; target: at most 1.0x, the
#            issue's "compound jobs at parity with git")
#   memory   peak resident memory of one revert-mode rollback (target: under 64 MiB)
#   floors   `git timeturner --version` and `git timeturner status` in the same repository, as
#            information: the start-up every command pays before it does any work.
#
# Every timed run of either side starts from the same state (branch at the tip, clean work tree,
# no safety refs, no lock, no registry). Run by bench/run; runnable on its own too:
#   TIMETURNER_BIN=.build/release/git-timeturner BENCH_WORK=/tmp/bench-rollback bench/suites/rollback.sh
here="$(cd "$(dirname "$0")" && pwd)"
: "${TIMETURNER_BIN:=$(cd "$here/../.." && pwd)/.build/release/git-timeturner}"
: "${BENCH_WORK:=${TMPDIR:-/tmp}/timeturner-bench-rollback}"
export TIMETURNER_BIN BENCH_WORK
source "$here/../lib.sh"

COMMITS="${BENCH_COMMITS:-100000}"
RUNS="${BENCH_RUNS:-30}"
repo="$BENCH_WORK/rollback-$COMMITS"

if [ ! -f "$repo/.git/bench-complete" ]; then
    rm -rf "$repo"
    git init -q -b main "$repo"
    start="$(bench_now_ns)"
    python3 "$BENCH_DIR/gen.py" history --commits "$COMMITS" | git -C "$repo" fast-import --quiet
    git -C "$repo" checkout -q main
    # The 50 commits the rollback undoes: each changes one different file.
    git -C "$repo" ls-files 'src/*' | head -50 | while read -r file; do
        printf 'bench change\n' >>"$repo/$file"
        git -C "$repo" commit -q -am "bench: change $file"
    done
    # As a repository that has lived a while: packed, with a commit-graph (git gc writes one).
    git -C "$repo" gc -q
    echo "generated $COMMITS + 50 commits in $(bench_seconds_since "$start") s ($(du -sh "$repo/.git" | cut -f1))"
    git -C "$repo" rev-parse HEAD >"$repo/.git/bench-head"
    touch "$repo/.git/bench-complete"
fi
cd "$repo"
# The generated tip, whatever an earlier (interrupted) run left checked out.
head="$(cat .git/bench-head)"
git reset -q --hard "$head"
target="$(git rev-parse HEAD~50)"
bench_log "$(git rev-list --count HEAD) commits, $(git ls-files | wc -l) files; the rollback changes $(git diff --name-only "$target" HEAD | wc -l) files"

# The registry is removed too, so the journal shard each run appends to does not grow run after run.
# Two things are kept as a repository that has lived a while has them, for both sides alike:
# - the clone's id (.git/timeturner/clone-id), made once per clone by its first journal event;
# - an index that is not racily clean: `git reset --hard` writes the files and the index in the
#   same second, so every later reader (git's own reset as much as the tool's status scan) must
#   re-read the files' contents to trust them. The files are dated a minute back and the index
#   written again from HEAD (`git reset` without one reads every file's stat afresh), as an index
#   written after its files' last change is. (Refreshing it instead is not enough: git compares
#   whole seconds and leaves an entry alone that changed only in nanoseconds, which libgit2 then
#   sees as changed, so every file would be hashed again.)
reset_state="git reset -q --hard $head && rm -rf .git/refs/timeturner/safety .git/logs/refs/timeturner/safety && find .git/timeturner -mindepth 1 -maxdepth 1 ! -name clone-id -exec rm -rf {} + 2>/dev/null || true; { git update-ref -d refs/timeturner/registry 2>/dev/null || true; } && git ls-files -z | xargs -0 touch -d '-60 seconds' && rm -f .git/index && git reset -q"
sh -c "$reset_state"

echo "rollback, revert mode, 50 commits / 50 files on $COMMITS commits:"
bench_pair "rollback revert vs git revert+commit" 0.12 "$RUNS" \
    "git timeturner rollback --to $target --yes" \
    "git revert --no-commit $target..HEAD && git commit -q -m bench" \
    "$reset_state"

echo "rollback, reset mode:"
bench_pair "rollback reset vs git reset --hard" 2.0 "$RUNS" \
    "git timeturner rollback --to $target --mode reset --yes" \
    "git reset -q --hard $target" \
    "$reset_state"

echo "the same jobs done with plain git (bench/git-same-job.sh):"
bench_pair "rollback revert vs git doing the same job" 1.0 "$RUNS" \
    "git timeturner rollback --to $target --yes" \
    "bash $BENCH_DIR/git-same-job.sh revert $target" \
    "$reset_state"
bench_pair "rollback reset vs git doing the same job" 1.0 "$RUNS" \
    "git timeturner rollback --to $target --mode reset --yes" \
    "bash $BENCH_DIR/git-same-job.sh reset $target" \
    "$reset_state"

sh -c "$reset_state"
bench_peak_memory "rollback revert (target < 64 MiB)" git timeturner rollback --to "$target" --yes
sh -c "$reset_state"

echo "start-up floors (information):"
bench_time "git timeturner --version" "$RUNS" "git timeturner --version"
bench_time "git timeturner status" "$RUNS" "git timeturner status"
bench_time "git timeturner rollback --dry-run" "$RUNS" "git timeturner rollback --to $target --dry-run"
