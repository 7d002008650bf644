#!/usr/bin/env bash
# mysql_restore_vs_script.sh [--runs N] [--rows R]
#
# `drillproof run` restoring a mariadb-dump of a table of R rows (default
# 1,000,000; one row_count check) versus my_bare_restore.sh doing the same
# work by hand (install-db, start, `mariadb < dump`, count, stop), in the
# same run as alternating pairs, then prints drillproof_mean / bare_mean. The
# goal is <= 1.05. Writes $BENCH_DIR/results.json (every time).
#
# Environment:
#   DRILLPROOF  the binary (default: ../build-bench/drillproof next to this script)
#   BENCH_DIR   work directory: cached dump, plan, results (default /tmp/drillproof-mybench)
#   MY_USER     see my_common.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=my_common.sh
source "$here/my_common.sh"

runs=5
rows=1000000
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    *) bench_die "unknown argument '$1'" ;;
  esac
done
drillproof=${DRILLPROOF:-$here/../build-bench/drillproof}
[[ -x $drillproof ]] || bench_die "$drillproof is not built (set DRILLPROOF)"
bench=${BENCH_DIR:-/tmp/drillproof-mybench}
mkdir -p "$bench"
chmod 755 "$bench"
dump=$bench/big-$rows.sql

if [[ ! -s $dump ]]; then
  echo "making $dump ($rows rows)" >&2
  src=$(mktemp -d "$bench/src-XXXXXX")
  trap 'my_stop; rm -rf "$src"' EXIT
  give_to_my "$src"
  my_start "$src"
  # The Sequence engine's seq_1_to_N generates the rows server-side.
  my_sql "$src" -e "CREATE DATABASE bench; USE bench;
    CREATE TABLE bench.big (id int PRIMARY KEY, v varchar(40) NOT NULL, n decimal(12,2),
      at datetime NOT NULL, note text);
    INSERT INTO bench.big SELECT seq, md5(seq), seq / 100, '2026-01-01' + INTERVAL seq SECOND,
      IF(seq % 7 = 0, NULL, concat('row ', seq)) FROM seq_1_to_$rows;"
  "$MY_DUMP" --no-defaults --socket="$src/mysql.sock" --user=root bench >"$dump.tmp"
  mv "$dump.tmp" "$dump"
  my_stop
  rm -rf "$src"
  trap - EXIT
fi

cat >"$bench/plan.toml" <<PLAN
[plan]
name = "mysql bench"

[[backup]]
name = "big"
engine = "mysql"
path = "$dump"
database = "bench"

[[backup.check]]
type = "row_count"
table = "big"
expect = $rows
PLAN

# Alternating pairs (drillproof, bare / bare, drillproof, ...) rather than
# hyperfine's all-of-one-then-all-of-the-other: on a shared machine, load
# that comes and goes then hits both commands alike. One warm-up pair.
python3 - "$runs" "$bench" "$drillproof" "$here/my_bare_restore.sh" "$dump" <<'PY'
import json, statistics, subprocess, sys, time
runs, bench, drillproof, bare, dump = int(sys.argv[1]), *sys.argv[2:]
cmds = {"drillproof": [drillproof, "run", f"{bench}/plan.toml", "--out", f"{bench}/drillproof-out"],
        "bare": [bare, dump]}
times = {"drillproof": [], "bare": []}
for i in range(runs + 1):
    order = ["drillproof", "bare"] if i % 2 == 0 else ["bare", "drillproof"]
    for name in order:
        t0 = time.monotonic()
        subprocess.run(cmds[name], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i > 0:
            times[name].append(time.monotonic() - t0)
json.dump(times, open(f"{bench}/results.json", "w"), indent=1)
d, b = statistics.mean(times["drillproof"]), statistics.mean(times["bare"])
dm, bm = statistics.median(times["drillproof"]), statistics.median(times["bare"])
for name in times:
    print(f"{name:10s} mean {statistics.mean(times[name]):.3f}s  median "
          f"{statistics.median(times[name]):.3f}s  runs {' '.join(f'{t:.2f}' for t in times[name])}")
print(f"ratio of means {d / b:.3f}, of medians {dm / bm:.3f} (goal <= 1.05)")
PY
