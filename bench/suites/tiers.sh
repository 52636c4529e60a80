#!/usr/bin/env bash
# Overhead of a level-2 rollback over its tiers' own operations, in the same run.
#
# A repository with three tiers on a real PostgreSQL (started here on 127.0.0.1): db = postgres
# (a table of BENCH_ROWS rows, default 100,000), config = files (one file), deploy = release-dir
# (releases/<name> + current). A point captures them; then the data, the file and the release
# move on. Timed, alternately, BENCH_ITERATIONS times each (default 3):
#   - `git timeturner rollback --to p1 --level 2 --yes --accept-data-loss` (then `undo` to reset;
#     the undo is not timed), its wall time and the journal's per-tier durations;
#   - the same work done by hand: pg_dump -Fc of the present database (the capture taken first),
#     pg_restore --clean --if-exists --single-transaction of the point's dump, psql 'SELECT 1'
#     (the tier's verify), tar of the config file and its extraction, the release symlink swap.
# Target (issue 10): rollback <= 1.10 x by-hand + 100 ms (medians).
#
# Environment: TIMETURNER_BIN, BENCH_WORK, BENCH_ROWS, BENCH_ITERATIONS. Runnable on its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export TIMETURNER_BIN=${TIMETURNER_BIN:-$root/.build/release/git-timeturner}
export BENCH_WORK=${BENCH_WORK:-$(mktemp -d)}
rows=${BENCH_ROWS:-100000}
iterations=${BENCH_ITERATIONS:-3}
if [ -f "$here/../lib.sh" ]; then
    # shellcheck source=../lib.sh
    source "$here/../lib.sh"
else
    export HOME=$BENCH_WORK/home GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C
    mkdir -p "$HOME"
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "tiers: PostgreSQL is not installed (apt-get install postgresql); skipped"; exit 0; }

work=$BENCH_WORK
rm -rf "$work" && mkdir -p "$work"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$work"; as_pg=(runuser -u postgres --); fi
port=$((20000 + RANDOM % 20000))
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust --no-sync --encoding=UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
trap '"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true' EXIT
url="postgresql://postgres@127.0.0.1:$port/shop"
export PATH="$pgbin:$PATH"
psql -X -q -d "postgresql://postgres@127.0.0.1:$port/postgres" -c "CREATE DATABASE shop"
psql -X -q -d "$url" -c "CREATE TABLE orders (id int PRIMARY KEY, total numeric, note text); INSERT INTO orders SELECT g, g * 1.5, md5(g::text) FROM generate_series(1, $rows) g"

repo=$work/repo
git init -q -b main "$repo"
cd "$repo"
git config user.name Bench && git config user.email bench@example.com
mkdir -p config srv/releases/r1 srv/releases/r2
ln -s releases/r1 srv/current
echo "DB=primary" > config/app.env
printf 'config/\nsrv/\n' > .gitignore
git config timeturner.tier.db.executor postgres
git config timeturner.tier.db.url "$url"
git config timeturner.tier.config.executor files
git config timeturner.tier.config.path config/app.env
git config timeturner.tier.deploy.executor release-dir
git config timeturner.tier.deploy.root "$repo/srv"
git add .gitignore && git commit -q -m v1
"$TIMETURNER_BIN" point --name p1 >/dev/null
git commit -q --allow-empty -m v2
psql -X -q -d "$url" -c "UPDATE orders SET total = total + 1 WHERE id % 10 = 0"
echo "DB=replica" > config/app.env
ln -sfn releases/r2 srv/current
dump=$(ls .git/timeturner/backups/db/*.dump 2>/dev/null | head -1 || true)
[ -n "$dump" ] || dump=$(find .git/timeturner -name '*.dump' | head -1)

by_hand() {
    local start end
    start=$(date +%s%N)
    pg_dump -Fc --no-password -f "$work/present.dump" -d "$url"
    pg_restore --clean --if-exists --single-transaction --no-password -d "$url" "$dump"
    psql -X -q -A -t -d "$url" -c "SELECT 1" >/dev/null
    tar -cf "$work/config.tar" config/app.env && tar -xf "$work/config.tar"
    ln -sfn releases/r1 srv/current.new && mv -T srv/current.new srv/current
    end=$(date +%s%N)
    # Put the moved-on state back for the next round (not timed).
    psql -X -q -d "$url" -c "UPDATE orders SET total = total + 1 WHERE id % 10 = 0"
    ln -sfn releases/r2 srv/current
    rm -f "$work/present.dump"
    echo $(((end - start) / 1000000))
}

tool=() hand=()
for _ in $(seq "$iterations"); do
    hand+=("$(by_hand)")
    start=$(date +%s%N)
    "$TIMETURNER_BIN" rollback --to p1 --level 2 --yes --accept-data-loss >/dev/null 2>"$work/rollback.err" \
        || { cat "$work/rollback.err" >&2; exit 1; }
    tool+=($((($(date +%s%N) - start) / 1000000)))
    "$TIMETURNER_BIN" undo --yes --accept-data-loss >/dev/null 2>"$work/undo.err" || { cat "$work/undo.err" >&2; exit 1; }
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
t=$(median "${tool[@]}") h=$(median "${hand[@]}")
target=$(awk -v h="$h" 'BEGIN { printf "%d", h * 1.10 + 100 }')
verdict=$([ "$t" -le "$target" ] && echo PASS || echo MISS)
tiers=$(git show refs/timeturner/registry:journal/"$(date -u +%Y-%m)".jsonl | grep '"type":"rollback"' | tail -1 \
    | python3 -c 'import json,sys; e=json.loads(sys.stdin.read()); print(", ".join("%s %s ms" % (t["tier"], t["durationMs"]) for t in e.get("tiers", [])))')
echo "tiers: level-2 rollback, $rows rows        median ${t} ms (journal: $tiers)"
echo "tiers: the same operations by hand       median ${h} ms"
echo "tiers: target <= 1.10 x $h + 100 = $target ms: $verdict"
if declare -F bench_report >/dev/null; then
    ratio=$(awk -v h="$h" -v g="$target" 'BEGIN { printf "%.2f", g / h }')
    bench_report "level-2 rollback ($rows rows) vs its tiers' own operations" "$t" "$h" "$ratio" "pg_dump + pg_restore + tar + symlink swap"
fi
