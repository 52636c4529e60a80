#!/usr/bin/env bash
# Rollback points (issue 2, item 8), against plain git doing the same work:
#
#   point    `git timeturner point` on a repository of 100,000 commits with 2,000 points and a
#            note on every commit, vs `git tag -a` + `git notes --ref=timeturner append`;
#            every timed run (of either side) on a fresh commit that has no point yet.
#   points   `git timeturner points --json` over 10,000 points vs `git for-each-ref` printing the
#            same fields, newest first.
#   show     `git timeturner show <point>` with 2,000 points (information, no target).
#   version  `git timeturner --version` vs a C program that only calls git_libgit2_init.
#
# Run by bench/run, which sets TIMETURNER_BIN and BENCH_WORK (see bench/README.md).
source "$(dirname "$0")/../lib.sh"

COMMITS="${BENCH_COMMITS:-100000}"
RUNS="${BENCH_RUNS:-30}"
gen="$BENCH_DIR/gen.py"
work="$BENCH_WORK"

# --- repositories (generated once, cached in bench/work/points/) -------------------------------

# history.git: the code history alone. Everything else is a copy of it plus points.
make_history() {
    local repo="$work/history-$COMMITS.git"
    [ -f "$repo/bench-complete" ] && return
    rm -rf "$repo"
    git init -q --bare -b main "$repo"
    local start; start="$(bench_now_ns)"
    python3 "$gen" history --commits "$COMMITS" |
        git -C "$repo" fast-import --quiet --export-marks="$repo/bench-marks"
    git -C "$repo" repack -adq
    echo "generated $COMMITS commits with git fast-import in $(bench_seconds_since "$start") s" \
        "($(du -sh "$repo" | cut -f1))"
    touch "$repo/bench-complete"
}

# with-points-N.git: history plus N points (annotated tags under refs/timeturner/points/) and a
# JSON Lines note on every commit, exactly as git-timeturner writes them. Refs are packed, as
# `git gc` leaves a repository that has lived a while. The pristine refs are kept so that each
# run starts from the same state however many points the previous run added.
make_with_points() {
    local points="$1"
    local repo="$work/with-points-$points-$COMMITS.git" history="$work/history-$COMMITS.git"
    if [ ! -f "$repo/bench-complete" ]; then
        rm -rf "$repo"
        cp -a "$history" "$repo"
        rm -f "$repo/bench-complete"
        local start; start="$(bench_now_ns)"
        python3 "$gen" points --marks "$history/bench-marks" --points "$points" \
            --updates "$repo/bench-updates" --targets "$repo/bench-targets" |
            git -C "$repo" fast-import --quiet
        # fast-import can only write tags under refs/tags/: move each one to its point ref.
        # update-ref checks both the tag object ids gen.py computed and that they exist.
        git -C "$repo" update-ref --stdin <"$repo/bench-updates"
        git -C "$repo" pack-refs --all
        cp "$repo/packed-refs" "$repo/bench-packed-refs"
        echo "added $points points and $COMMITS notes in $(bench_seconds_since "$start") s"
        touch "$repo/bench-complete"
    fi
    # Back to the generated state: only packed refs, as generated.
    rm -rf "$repo/refs/timeturner" "$repo/refs/notes" "$repo/refs/tags"
    mkdir -p "$repo/refs/tags"
    cp "$repo/bench-packed-refs" "$repo/packed-refs"
    local found
    found="$(git -C "$repo" for-each-ref refs/timeturner/points/ | wc -l)"
    [ "$found" -eq "$points" ] || { echo "error: $repo has $found points, expected $points" >&2; exit 1; }
}

# The C programs: the --version baseline, and the libgit2 floors (bench/floors/) that make the
# same libgit2 calls as the tool and nothing else, to split a figure into libgit2's part and ours.
for program in "$BENCH_DIR/floors/libgit2-init.c" "$BENCH_DIR/floors/point.c" "$BENCH_DIR/floors/points.c"; do
    name="$(basename "$program" .c)"
    [ "$name" = libgit2-init ] || name="$name-floor"
    # shellcheck disable=SC2046
    gcc -O2 -o "$work/$name" "$program" $(pkg-config --cflags --libs libgit2)
done

make_history
make_with_points 2000
make_with_points 10000
small="$work/with-points-2000-$COMMITS.git"
large="$work/with-points-10000-$COMMITS.git"

# --- point vs git tag -a + git notes append ----------------------------------------------------

# Before every timed run (either side), take the next commit that has no point yet and write
# what both sides need: the commit and a fresh name, the tag message and the note line that
# git-timeturner would write. Untimed.
cat >"$work/next-target" <<EOF
#!/bin/sh
set -e
n=\$(cat "$work/next-counter" 2>/dev/null || echo 0)
n=\$((n + 1))
echo "\$n" >"$work/next-counter"
c=\$(sed -n "\${n}p" "$small/bench-targets")
[ -n "\$c" ] || { echo "out of fresh commits" >&2; exit 1; }
id="bench-\$n-\$\$"
echo "\$c \$id" >"$work/next"
printf 'before deploy\n\nTimeturner-Point: %s\nTimeturner-Severity: high\nTimeturner-Env: production\nTimeturner-Tier: code\n' "\$id" >"$work/next-message"
printf '{"type":"point","at":"%s","by":"Bench User <bench@example.com>","commit":"%s","env":"production","id":"%s","severity":"high","subject":"before deploy","tag":"%s","tiers":["code"],"v":1}\n' \
    "\$(date -u +%Y-%m-%dT%H:%M:%SZ)" "\$c" "\$id" "0000000000000000000000000000000000000000" >"$work/next-note"
EOF
chmod +x "$work/next-target"
rm -f "$work/next-counter"

cd "$small"
bench_pair "point" 1.5 "$RUNS" \
    "read -r c n <'$work/next'; git timeturner point \"\$c\" -m 'before deploy' --severity high --env production" \
    "read -r c n <'$work/next'; git tag -a \"\$n\" \"\$c\" -F '$work/next-message' && git notes --ref=timeturner append -F '$work/next-note' \"\$c\"" \
    "$work/next-target"

# The same with the binary run directly: `git timeturner` costs a git process before ours (git
# starts, reads its configuration, finds git-timeturner on PATH and execs it), which the
# built-in git tag and git notes do not pay. The target is the figure above; this one shows how
# much of it is that process.
bench_pair "point (no git wrapper)" 1.5 "$RUNS" \
    "read -r c n <'$work/next'; '$TIMETURNER_BIN' point \"\$c\" -m 'before deploy' --severity high --env production" \
    "read -r c n <'$work/next'; git tag -a \"\$n\" \"\$c\" -F '$work/next-message' && git notes --ref=timeturner append -F '$work/next-note' \"\$c\"" \
    "$work/next-target"

bench_time "point: libgit2 floor (C, same calls)" "$RUNS" \
    "read -r c n <'$work/next'; '$work/point-floor' \"\$c\" \"\$n\"" "$work/next-target"
if [ -n "${TIMETURNER_VARIANT_BIN:-}" ]; then
    bench_time "point: $TIMETURNER_VARIANT" "$RUNS" \
        "read -r c n <'$work/next'; '$TIMETURNER_VARIANT_BIN' point \"\$c\" -m 'before deploy' --severity high --env production" \
        "$work/next-target"
fi

# Every timed run really made its point and its note line.
made="$(git for-each-ref refs/timeturner/points/ | wc -l)"
tags="$(git for-each-ref refs/tags/ | wc -l)"
bench_log "after the point runs: $made point refs (2000 before), $tags plain tags"
"$work/next-target"; read -r c _ <"$work/next"
bench_peak_memory "point (2,000 points, 100,000 notes)" git timeturner point "$c" -m "before deploy"
"$work/next-target"; read -r c n <"$work/next"
bench_peak_memory "  git tag -a" git tag -a "$n" "$c" -F "$work/next-message"
bench_peak_memory "  git notes append" git notes --ref=timeturner append -F "$work/next-note" "$c"

# show on a point (information): finds the other points on its commit through the commit's note
# rather than by reading every point.
shown="$(git timeturner points --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')"
bench_time "show <point> (2,000 points)" "$RUNS" "git timeturner show '$shown'"

# --- points --json vs git for-each-ref ----------------------------------------------------------

cd "$large"
# The fields of `points --json`: id, ref, tag, commit, tagger, date, subject, and the trailers
# that hold severity, environment and tiers; newest first.
format='%(refname:lstrip=3)%09%(refname)%09%(objectname)%09%(*objectname)%09%(taggername) %(taggeremail)%09%(taggerdate:iso-strict)%09%(contents:subject)%09%(trailers:only,unfold,separator=%x2C)'
listed="$(git timeturner points --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
printed="$(git for-each-ref --sort=-taggerdate --format="$format" refs/timeturner/points/ | wc -l)"
[ "$listed" -eq 10000 ] && [ "$printed" -eq 10000 ] ||
    { echo "error: points --json listed $listed, for-each-ref printed $printed; expected 10000" >&2; exit 1; }
bench_pair "points --json (10,000)" 1.0 "$RUNS" \
    "git timeturner points --json" \
    "git for-each-ref --sort=-taggerdate --format='$format' refs/timeturner/points/"
bench_time "points: libgit2 floor (C, same calls, no output)" "$RUNS" "'$work/points-floor'"
if [ -n "${TIMETURNER_VARIANT_BIN:-}" ]; then
    bench_time "points --json: $TIMETURNER_VARIANT" "$RUNS" "'$TIMETURNER_VARIANT_BIN' points --json"
fi
bench_peak_memory "points --json (10,000 points)" git timeturner points --json
bench_peak_memory "  git for-each-ref" git for-each-ref --sort=-taggerdate --format="$format" refs/timeturner/points/

# --- --version vs a C program that only initialises libgit2 ----------------------------------

cd "$work"
bench_pair "version" 2.0 "$RUNS" "git timeturner --version" "'$work/libgit2-init'"
bench_pair "version (no git wrapper)" 2.0 "$RUNS" "'$TIMETURNER_BIN' --version" "'$work/libgit2-init'"
if [ -n "${TIMETURNER_VARIANT_BIN:-}" ]; then
    bench_time "version: $TIMETURNER_VARIANT" "$RUNS" "'$TIMETURNER_VARIANT_BIN' --version"
fi
