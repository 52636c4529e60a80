#!/usr/bin/env bash
# The job `git timeturner rollback --to TARGET [--mode reset] --yes` does, done with plain git:
# the baseline of the rollback suite's "same job" figures (bench/README.md, "The rollback suite").
#
#   bash bench/git-same-job.sh reset|revert TARGET
#
# A bare `git reset --hard` is not that job: it overwrites uncommitted work, keeps no backup,
# leaves no record a crash can be recovered from and none of what was done. Each step below is
# the least plain git needs for one of the guarantees the tool gives, in the tool's order:
#
#   1. nothing uncommitted is lost: refuse when `git status` shows any change or untracked file
#      (the tool refuses only those in the way of the paths it writes, a finer check);
#   2. a safety backup the rollback can be undone from, kept by a ref: HEAD and the bytes of
#      .git/index in one commit (the tool also captures dirty and untracked files; here there are
#      none, step 1 made sure);
#   3. a record of what is about to change, on disk before it changes (fdatasync), for recovery
#      after a crash; and the same once it has changed;
#   4. the rollback itself: `git reset --hard`, or `git revert --no-commit` + `git commit`;
#   5. the journal: one JSON event appended to a file in a commit on refs/timeturner/registry.
#
# The tool also takes a lock, checks the plan's digest, reads the header of every blob it will
# overwrite and verifies nothing else; those have no plain-git counterpart here, so this baseline
# errs in git's favour. It runs in the repository given by the current directory, and expects
# the state the suite's preparation leaves (no safety ref, no registry, a clean work tree).
set -euo pipefail
mode="$1" target="$2"

# 1.
if [ -n "$(git status --porcelain=v1 -z)" ]; then
    echo "git-same-job: uncommitted work or untracked files; nothing was changed" >&2
    exit 3
fi
head="$(git rev-parse --verify HEAD)"
git_dir="$(git rev-parse --git-dir)"

# 2.
index_blob="$(git hash-object -w "$git_dir/index")"
index_tree="$(printf '100644 blob %s\tindex\n' "$index_blob" | git mktree)"
backup="$(git commit-tree -p "$head" -m "state before rollback" "$index_tree")"
git update-ref -m "safety backup before rollback" refs/timeturner/safety/git-same-job "$backup" ""

# 3.
state="$git_dir/git-same-job-state.jsonl"
printf '{"step":"move-branch","from":"%s","to":"%s","backup":"%s"}\n' "$head" "$target" "$backup" >"$state"
sync --data "$state"

# 4.
case "$mode" in
    reset) git reset -q --hard "$target" ;;
    revert) git revert --no-commit "$target..HEAD" && git commit -q -m "rollback to $target" ;;
    *) echo "git-same-job: mode is reset or revert" >&2; exit 2 ;;
esac
result="$(git rev-parse --verify HEAD)"
printf '{"step":"write-journal","result":"%s"}\n' "$result" >>"$state"
sync --data "$state"

# 5.
registry="$(git rev-parse -q --verify refs/timeturner/registry || true)"
{
    [ -z "$registry" ] || git cat-file blob "$registry:journal.jsonl" 2>/dev/null || true
    printf '{"type":"rollback","mode":"%s","from":"%s","to":"%s","result":"%s","backup":"refs/timeturner/safety/git-same-job"}\n' \
        "$mode" "$head" "$target" "$result"
} >"$git_dir/git-same-job-journal"
event_blob="$(git hash-object -w "$git_dir/git-same-job-journal")"
journal_tree="$(printf '100644 blob %s\tjournal.jsonl\n' "$event_blob" | git mktree)"
journal="$(git commit-tree ${registry:+-p "$registry"} -m "journal: rollback" "$journal_tree")"
git update-ref refs/timeturner/registry "$journal" "${registry:-}"
rm -f "$state" "$git_dir/git-same-job-journal"
