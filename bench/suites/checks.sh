#!/usr/bin/env bash
# Checks and the guard (issue 11). Three figures:
#
# 1. Per-sample overhead of `git timeturner guard` over the check itself, for a trivial command
#    check (`true`) and an http check against a loopback app (Tests/Fixtures/checks/app.py).
#    The guard runs with interval 0ms and count N (the check's own sampling: --for would make a
#    window); its cost per sample is (wall(N=1000) - wall(N=10)) / 990, which cancels what a guard
#    pays once (start-up, lock, point, mark, journal). "The check itself" is the same probe done by
#    a C program N times in the same way (bench/suites/checks-probe.c: posix_spawn `/bin/sh -c
#    true` with both streams piped and drained, or libcurl's easy interface, one handle per
#    request, as the tool does), timed the same way. Target: guard - probe <= 5 ms per sample.
# 2. Resident memory: maximum RSS of the guard with N = 1000 against N = 10 (both from wait4).
#    Target: within 2 MiB.
# 3. `git timeturner --version` must not be more than 1 ms slower because of the HTTP client
#    (Sources/CCurlHTTP, which dlopens libcurl on the first request). There is no build without
#    it to compare with, so the suite shows that --version never loads libcurl (LD_DEBUG) and
#    that libcurl is not in the binary's NEEDED list, and times --version against --version with
#    libcurl preloaded: what linking it normally would cost every command.
#
# Runs are interleaved (guard N=1000, guard N=10, probe N=1000, probe N=10, in rotating order)
# and the medians compared. Environment: TIMETURNER_BIN (default .build/release/git-timeturner),
# BENCH_WORK, BENCH_RUNS (default 10). Runnable on its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export TIMETURNER_BIN=${TIMETURNER_BIN:-$root/.build/release/git-timeturner}
export BENCH_WORK=${BENCH_WORK:-$(mktemp -d)}
runs=${BENCH_RUNS:-10}
[ -x "$TIMETURNER_BIN" ] || { echo "error: $TIMETURNER_BIN is not an executable (build with: swift build -c release)" >&2; exit 1; }
if [ -f "$here/../lib.sh" ]; then
    # shellcheck source=../lib.sh
    source "$here/../lib.sh"
else
    export HOME=$BENCH_WORK/home GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@x GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@x
    mkdir -p "$HOME"
fi
work=$BENCH_WORK
mkdir -p "$work/ctl"

libcurl=$(ldconfig -p | awk '/libcurl\.so\.4 / && !found { print $NF; found = 1 }')
[ -n "$libcurl" ] || { echo "error: libcurl.so.4 is not installed (apt-get install libcurl4)" >&2; exit 1; }
gcc -O2 -o "$work/checks-probe" "$here/checks-probe.c" -lcurl

repo=$work/checks-repo
rm -rf "$repo" && git init -q "$repo" && git -C "$repo" commit -q --allow-empty -m init
rm -f "$work/port"
python3 "$root/Tests/Fixtures/checks/app.py" "$work/port" "$work/ctl" >/dev/null 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { echo "error: the loopback app did not start" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$work/port")/health"
git -C "$repo" config timeturner.check.trivial.kind command
git -C "$repo" config timeturner.check.trivial.command true
git -C "$repo" config timeturner.check.loopback.kind http
git -C "$repo" config timeturner.check.loopback.url "$url"

figures=$(ERRORS=$work/stderr BIN=$TIMETURNER_BIN REPO=$repo PROBE=$work/checks-probe URL=$url RUNS=$runs python3 - <<'PY'
import os, statistics, subprocess, sys, time

bin_, repo, probe, url, runs = os.environ["BIN"], os.environ["REPO"], os.environ["PROBE"], os.environ["URL"], int(os.environ["RUNS"])
errors = os.environ["ERRORS"]

def timed(argv):
    """Wall time in ms and maximum RSS in KiB of one run (wait4's rusage)."""
    # Both streams to files: the guard prints every measurement, and a pipe nobody drains
    # would stop it once full.
    with open(errors, "w+b") as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=repo, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = (time.perf_counter() - start) * 1000
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            stderr.seek(0)
            sys.exit(f"error: {' '.join(argv)} exited {child.returncode}: {stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss

def guard(check, n):
    return [bin_, "guard", "--env", "bench", "--check", check,
            "-c", f"timeturner.check.{check}.count={n}", "-c", f"timeturner.check.{check}.interval=0ms"]

for check, probe_argv in (("trivial", [probe, "command"]), ("loopback", [probe, "http", url])):
    commands = {("guard", 1000): guard(check, 1000), ("guard", 10): guard(check, 10),
                ("probe", 1000): probe_argv + ["1000"], ("probe", 10): probe_argv + ["10"]}
    timed(commands[("guard", 10)])  # warm-up: the first guard records the point
    walls = {key: [] for key in commands}
    rss = {key: [] for key in commands}
    keys = list(commands)
    for run in range(runs):
        for key in keys[run % 4:] + keys[:run % 4]:
            wall, kib = timed(commands[key])
            walls[key].append(wall)
            rss[key].append(kib)
    median = {key: statistics.median(values) for key, values in walls.items()}
    per_guard = (median[("guard", 1000)] - median[("guard", 10)]) / 990
    per_probe = (median[("probe", 1000)] - median[("probe", 10)]) / 990
    rss_small, rss_large = statistics.median(rss[("guard", 10)]), statistics.median(rss[("guard", 1000)])
    print(f"{check} guard_ms={per_guard:.3f} probe_ms={per_probe:.3f} overhead_ms={per_guard - per_probe:.3f} "
          f"rss10_kib={rss_small:.0f} rss1000_kib={rss_large:.0f} rss_growth_kib={rss_large - rss_small:.0f} "
          f"guard1000_ms={median[('guard', 1000)]:.0f} guard10_ms={median[('guard', 10)]:.0f} runs={runs}")
PY
)
field() { sed -n "s/^$1 .*$2=\([^ ]*\).*/\1/p" <<<"$figures"; }
for check in trivial loopback; do
    printf '%s: per sample %s ms in the guard, %s ms for the probe alone: overhead %s ms (target <= 5 ms); max RSS %s KiB after 10 samples, %s KiB after 1,000: %+d KiB (target <= 2048)\n' \
        "$check" "$(field $check guard_ms)" "$(field $check probe_ms)" "$(field $check overhead_ms)" \
        "$(field $check rss10_kib)" "$(field $check rss1000_kib)" "$(field $check rss_growth_kib)"
    if declare -F bench_report >/dev/null; then
        probe_ms=$(field $check probe_ms)
        # The absolute target (probe + 5 ms) as the ratio bench_report compares against.
        ratio=$(awk -v p="$probe_ms" 'BEGIN { printf "%.2f", (p + 5) / p }')
        bench_report "guard per sample ($check check)" "$(field $check guard_ms)" "$probe_ms" "$ratio" "the probe alone"
    fi
done

# 3. --version and the HTTP client.
if readelf -d "$TIMETURNER_BIN" | grep -q 'NEEDED.*libcurl'; then
    echo "--version: libcurl is in the binary's NEEDED list: every command loads it" >&2
    exit 1
fi
if LD_DEBUG=libs "$TIMETURNER_BIN" --version 2>&1 | grep -q 'libcurl'; then
    echo "--version: libcurl was loaded" >&2
    exit 1
fi
echo "--version: libcurl is neither NEEDED nor loaded (LD_DEBUG=libs shows no libcurl)"
if declare -F bench_pair >/dev/null; then
    bench_pair "--version vs --version with libcurl preloaded" 1.0 "$((runs * 4))" \
        "'$TIMETURNER_BIN' --version" "LD_PRELOAD='$libcurl' '$TIMETURNER_BIN' --version"
fi
