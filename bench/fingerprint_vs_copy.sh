#!/usr/bin/env bash
# fingerprint_vs_copy.sh [--scale S] [--runs N] [--jobs J] [--segment-rows R] [--bench PATH] [--breakdown]
#
# Times verifying the content fingerprints of pgbench_accounts (what the
# `fingerprint` check does after a restore) against the reference cost of
# reading the table once:
#
#   A: dp_fingerprint_bench DIR pgbench verify snapshot.json --jobs J --table public.pgbench_accounts
#   B: psql -c "COPY pgbench_accounts TO STDOUT (FORMAT binary)"   (output discarded)
#
# Goal from the issue: A <= 1.0 x B, memory independent of the row count.
# A scratch cluster is started in a private temp directory (unix socket
# only, drillproof's server settings from pg_common.sh, run as $PG_USER when
# root), loaded with `pgbench -i -s S`, snapshotted once, then both commands
# run in one hyperfine invocation (--warmup 1 --runs N). Peak RSS of each comes
# from one extra run under /usr/bin/time -v. The cluster is removed on exit.
#
#   --scale S         pgbench scale (default 50: 5,000,000 rows)
#   --runs N          hyperfine runs per command (default 5)
#   --jobs J          verification sessions (default 2)
#   --segment-rows R  keys per segment when snapshotting (default 100000)
#   --bench PATH      dp_fingerprint_bench (default build-bench/, build-b/, build/)
#   --breakdown       also time, in the same hyperfine invocation, where the
#                     cost goes: COPY TEXT of the table, COPY TEXT of
#                     SELECT * ... ORDER BY aid (what one verify session
#                     asks the server for), and verify on 1 session
#
# Writes $BENCH_DIR/fingerprint-s<S>.json (hyperfine) and prints the ratio.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=pg_common.sh
source "$here/pg_common.sh"

scale=50 runs=5 jobs=2 segment_rows=100000 bench='' breakdown=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --scale) scale=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --segment-rows) segment_rows=${2:?}; shift 2 ;;
    --bench) bench=${2:?}; shift 2 ;;
    --breakdown) breakdown=1; shift ;;
    -h | --help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: ${0##*/} [--scale S] [--runs N] [--jobs J] [--segment-rows R] [--bench PATH] [--breakdown]" >&2; exit 2 ;;
  esac
done
for v in "$scale" "$runs" "$jobs" "$segment_rows"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || bench_die "expected a positive integer, got '$v'"
done
if [[ -z $bench ]]; then
  for b in build-bench build-b build; do
    if [[ -x $here/../$b/bench/dp_fingerprint_bench ]]; then
      bench=$(cd "$here/../$b/bench" && pwd)/dp_fingerprint_bench
      break
    fi
  done
fi
[[ -n $bench && -x $bench ]] ||
  bench_die "no dp_fingerprint_bench (cmake -DDP_BUILD_BENCH=ON, build target dp_fingerprint_bench, or pass --bench)"
bench=$(realpath -- "$bench")
command -v hyperfine >/dev/null || bench_die "hyperfine is missing (apt-get install -y hyperfine)"
[[ -x /usr/bin/time ]] || bench_die "/usr/bin/time is missing (apt-get install -y time)"

bindir=$(find_pg_bindir)
out_dir=${BENCH_DIR:-/tmp/drillproof-bench}
mkdir -p -- "$out_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-fp-XXXXXX")
data=$work/data

cleanup() {
  local rc=$?
  if [[ -f $data/postmaster.pid ]]; then
    as_pg "$bindir/pg_ctl" stop -D "$data" -m immediate -s || true
  fi
  cd /
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT

chmod 0755 "$work"
give_to_pg "$work"
cd "$work"
export LC_ALL=C TZ=UTC PGOPTIONS=

echo "${0##*/}: initdb + start a scratch cluster in $work" >&2
as_pg "$bindir/initdb" -D "$data" "${PG_INITDB_ARGS[@]}" >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; bench_die "initdb failed"; }
as_pg "$bindir/pg_ctl" start -w -s -t 120 -D "$data" -l "$work/server.log" \
  -o "-k '$work' -p $PG_PORT ${PG_SERVER_SETTINGS[*]}" ||
  { cat "$work/server.log" >&2 || true; bench_die "the server did not start"; }

conn=(-h "$work" -p "$PG_PORT" -U postgres)
"$bindir/psql" -X -q "${conn[@]}" -d postgres -c "CREATE DATABASE pgbench"
echo "${0##*/}: pgbench -i -s $scale" >&2
"$bindir/pgbench" -i -q -s "$scale" "${conn[@]}" pgbench 2>&1 | tail -n 1 >&2
rows=$("$bindir/psql" -X -At "${conn[@]}" -d pgbench -c "SELECT count(*) FROM pgbench_accounts")
size=$("$bindir/psql" -X -At "${conn[@]}" -d pgbench -c \
  "SELECT pg_size_pretty(pg_table_size('pgbench_accounts'))")
echo "${0##*/}: pgbench_accounts: $rows rows, $size" >&2

snap=$work/snapshot.json
"$bench" "$work" pgbench snapshot "$snap" --segment-rows "$segment_rows"

verify_cmd="$bench $work pgbench verify $snap --jobs $jobs --table public.pgbench_accounts"
copy_cmd="$bindir/psql -X -q ${conn[*]} -d pgbench -c 'COPY pgbench_accounts TO STDOUT (FORMAT binary)'"

# Peak RSS: one run each under GNU time.
rss() {
  /usr/bin/time -v bash -c "$1 >/dev/null 2>&1" 2>&1 >/dev/null |
    awk -F': ' '/Maximum resident set size/ {print $2}'
}
verify_rss=$(rss "$verify_cmd")
copy_rss=$(rss "$copy_cmd")

extra=()
if [[ $breakdown == 1 ]]; then
  psql_cmd="$bindir/psql -X -q ${conn[*]} -d pgbench -c"
  extra=(
    -n "psql COPY text" "$psql_cmd 'COPY pgbench_accounts TO STDOUT'"
    -n "psql COPY text ORDER BY aid" "$psql_cmd 'COPY (SELECT * FROM pgbench_accounts ORDER BY aid) TO STDOUT'"
    -n "fingerprint verify (1 job)" "${verify_cmd/--jobs $jobs/--jobs 1}"
  )
fi

result=$out_dir/fingerprint-s$scale.json
hyperfine --warmup 1 --runs "$runs" --export-json "$result" \
  -n "fingerprint verify ($jobs jobs)" "$verify_cmd" \
  -n "psql COPY binary" "$copy_cmd" "${extra[@]}" >&2

jq -r --arg vr "$verify_rss" --arg cr "$copy_rss" --arg scale "$scale" --arg rows "$rows" '
  .results as $r
  | ($r[0].mean / $r[1].mean) as $ratio
  | "scale \($scale) (\($rows) rows): verify mean \($r[0].mean * 1000 | floor) ms (sd \($r[0].stddev * 1000 | floor)), "
    + "COPY binary mean \($r[1].mean * 1000 | floor) ms (sd \($r[1].stddev * 1000 | floor)); "
    + "ratio \($ratio * 1000 | round / 1000); peak RSS verify \($vr) KB, psql \($cr) KB; "
    + "goal <= 1.0: \(if $ratio <= 1.0 then "met" else "NOT met" end)"' "$result"
