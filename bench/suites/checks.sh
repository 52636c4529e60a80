#!/usr/bin/env bash
# Per-sample overhead of sampling a check over the probe itself, and memory after many samples
# (issue 11). `git timeturner check <c> --json` with interval 0ms and count N: the overhead per
# sample is (wall time - the tool's start) / N minus the mean duration of the probe as measured
# around it (`durationMs` of the kept measurements). Memory: maximum RSS (`/usr/bin/time -f %M`)
# with N = 10 and N = 1000. Targets: overhead <= 5 ms; RSS(1000) - RSS(10) <= 2 MiB.
# Checks: a trivial command (`true`) and an http check against Tests/Fixtures/checks/app.py.
#
# Environment: TIMETURNER_BIN (default .build/release/git-timeturner), BENCH_WORK. Standalone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${TIMETURNER_BIN:-$root/.build/release/git-timeturner}
work=${BENCH_WORK:-$(mktemp -d)}
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@x GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@x
mkdir -p "$HOME" "$work/ctl"
repo=$work/checks-repo
rm -rf "$repo" && git init -q "$repo" && git -C "$repo" commit -q --allow-empty -m init
python3 "$root/Tests/Fixtures/checks/app.py" "$work/port" "$work/ctl" >/dev/null 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
cd "$repo"
git config timeturner.check.trivial.kind command
git config timeturner.check.trivial.command true
git config timeturner.check.loopback.kind http
git config timeturner.check.loopback.url "http://127.0.0.1:$(cat "$work/port")/health"
start_ms=$( { /usr/bin/time -f %e "$bin" --version >/dev/null; } 2>&1 | awk '{print $1 * 1000}')
for check in trivial loopback; do
    for n in 10 1000; do
        /usr/bin/time -f "%e %M" -o "$work/time" "$bin" check "$check" --json -c "timeturner.check.$check.interval=0ms" \
            -c "timeturner.check.$check.count=$n" >"$work/out.json" 2>/dev/null
        read -r wall rss <"$work/time"
        python3 - "$work/out.json" "$check" "$n" "$wall" "$rss" "$start_ms" <<'PY'
import json, sys
path, check, n, wall, rss, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
kept = json.load(open(path))["checks"][0]["measurements"]
probe = sum(m["durationMs"] for m in kept) / len(kept)
per_sample = (wall * 1000 - start) / n
print(f"{check:9} n={n:5}  wall {wall:.2f} s  per sample {per_sample:.2f} ms  probe {probe:.2f} ms  overhead {per_sample - probe:.2f} ms  max RSS {rss} KiB")
PY
    done
done
