#!/usr/bin/env bash
# Overhead of one executor round trip against running the same executor program directly
# with the same request, in the same run, in interleaved batches.
#
# The round trip is timed inside git-timeturner (`executor run trivial verify --repeat N`):
# resolve git-timeturner-exec-trivial on PATH, scrub the environment, spawn it in its own
# process group, send the JSON request, drain both streams, parse and check the response.
# Target: round trip <= 2 x direct + 5 ms (medians). The whole CLI invocation (which adds the
# tool's own start, libgit2 initialisation and configuration reading) is reported beside it.
#
# Environment: TIMETURNER_BIN (the release binary; default .build/release/git-timeturner),
# BENCH_WORK (scratch directory; default a new temporary one), BENCH_ITERATIONS (default 50),
# BENCH_STRICT=1 to exit 1 when the target is missed. Runnable on its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export TIMETURNER_BIN=${TIMETURNER_BIN:-$root/.build/release/git-timeturner}
export BENCH_WORK=${BENCH_WORK:-$(mktemp -d)}
iterations=${BENCH_ITERATIONS:-50}
[ -x "$TIMETURNER_BIN" ] || { echo "error: $TIMETURNER_BIN is not an executable (build with: swift build -c release)" >&2; exit 1; }
# bench/run's helpers when present (hermetic git, bench_report into the summary); standalone otherwise.
if [ -f "$here/../lib.sh" ]; then
    # shellcheck source=../lib.sh
    source "$here/../lib.sh"
else
    export HOME=$BENCH_WORK/home GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C
    mkdir -p "$HOME"
fi

repo=$BENCH_WORK/executors-repo
rm -rf "$repo"
git init -q -b main "$repo"
git -C "$repo" -c user.name=Bench -c user.email=bench@example.com commit -q --allow-empty -m first

figures=$(BIN=$TIMETURNER_BIN REPO=$repo EXECUTORS=$root/Tests/Fixtures/executors ITERATIONS=$iterations python3 - <<'PY'
import json, os, statistics, subprocess, sys, time

bin_, repo, executors, n = os.environ["BIN"], os.environ["REPO"], os.environ["EXECUTORS"], int(os.environ["ITERATIONS"])
env = dict(os.environ, PATH=executors + ":" + os.environ["PATH"])
program = os.path.join(executors, "git-timeturner-exec-trivial")
request = json.dumps({"protocol": 1, "verb": "verify", "tier": "trivial", "executor": "trivial", "repository": repo,
                      "dryRun": False, "settings": {}}).encode() + b"\n"

def timed(argv, stdin=b""):
    start = time.perf_counter()
    done = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=repo, env=env)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        sys.exit(f"error: {argv} failed: {done.stderr.decode()}")
    return elapsed, done.stdout

# Check both say the same thing once, then warm up.
assert b'"ok":true' in timed([program, "verify"], request)[1]
assert b"trivial verify: fine" in timed([bin_, "executor", "run", "trivial", "verify"])[1]
for _ in range(3):
    timed([program, "verify"], request); timed([bin_, "executor", "run", "trivial", "verify"]); timed([bin_, "points"])

# Interleaved batches: the program run directly (spawned from here, like any caller would),
# the same program through git-timeturner's runner (timed inside the tool: resolve, scrub the
# environment, spawn, send the request, parse the answer), and the whole CLI invocation.
batches, per_batch = 5, max(1, n // 5)
direct, in_tool, cli, startup = [], [], [], []
for _ in range(batches):
    for _ in range(per_batch):
        direct.append(timed([program, "verify"], request)[0])
    out = timed([bin_, "executor", "run", "trivial", "verify", "--repeat", str(per_batch), "--json"])[1]
    in_tool.append(json.loads(out)["timings"]["medianMilliseconds"])
    for _ in range(per_batch):
        cli.append(timed([bin_, "executor", "run", "trivial", "verify"])[0])
        startup.append(timed([bin_, "points"])[0])

d, t = statistics.median(direct), statistics.median(in_tool)
c, s = statistics.median(cli), statistics.median(startup)
target = 2 * d + 5
verdict = "PASS" if t <= target else "FAIL"
out = sys.stderr
print(f"executors: the executor run directly            median {d:6.2f} ms", file=out)
print(f"executors: one round trip through the runner    median {t:6.2f} ms  (inside git-timeturner)", file=out)
print(f"executors: target <= 2 x {d:.2f} + 5 = {target:.2f} ms: {verdict}", file=out)
print(f"executors: whole 'git timeturner executor run'  median {c:6.2f} ms  (of which tool start, 'points': {s:.2f} ms)", file=out)
print(json.dumps({"suite": "executors", "calls": batches * per_batch, "direct_ms": round(d, 2), "round_trip_ms": round(t, 2),
                  "target_ms": round(target, 2), "pass": t <= target, "cli_ms": round(c, 2), "tool_start_ms": round(s, 2)}))
PY
)
echo "$figures"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$figures" "$1"; }
if declare -F bench_report >/dev/null; then
    # The target 2 x direct + 5 ms, as the ratio bench_report compares against.
    ratio=$(awk -v d="$(field direct_ms)" 'BEGIN { printf "%.2f", (2 * d + 5) / d }')
    bench_report "executor round trip (trivial verify)" "$(field round_trip_ms)" "$(field direct_ms)" "$ratio" "the executor run directly"
fi
if [ "$(field pass)" != "True" ] && [ "${BENCH_STRICT:-}" = 1 ]; then exit 1; fi
