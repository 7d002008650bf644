#!/usr/bin/env bash
# mysql_restore_vs_script.sh [--runs N] [--rows R]
#
# `drillproof run` restoring a mariadb-dump of a table of R rows (default
# 1,000,000; one row_count check) versus my_bare_restore.sh doing the same
# work by hand (install-db, start, `mariadb < dump`, count, stop), in ONE
# hyperfine invocation, then prints drillproof_mean / bare_mean. The goal is
# <= 1.05.
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
command -v hyperfine >/dev/null 2>&1 || bench_die "hyperfine not found (apt-get install -y hyperfine)"
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

hyperfine --runs "$runs" --warmup 1 --export-json "$bench/results.json" \
  --export-markdown "$bench/results.md" \
  -n drillproof "$drillproof run $bench/plan.toml --out $bench/drillproof-out" \
  -n bare "$here/my_bare_restore.sh $dump"
python3 - "$bench/results.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
d, b = r["drillproof"]["mean"], r["bare"]["mean"]
print(f"drillproof {d:.3f}s  bare {b:.3f}s  ratio {d / b:.3f} (goal <= 1.05)")
PY
