#!/usr/bin/env bash
# bare_restore.sh DUMP [EXPECTED_ROWS]
#
# The bare-shell equivalent of what `drillproof run` does for one postgres
# backup with restore_jobs = 2 and one row_count check, step for step (see
# drills/pg_scratch.cpp, drills/pg_restore.cpp, drills/restore_drill.cpp):
#
#   mktemp -d, chown to $PG_USER when root
#   initdb with drillproof's flags                       (as $PG_USER)
#   postgres with drillproof's -c settings, background   (as $PG_USER)
#   wait until pg_isready
#   CREATE DATABASE restored TEMPLATE template0 ENCODING 'UTF8'
#   pg_restore --no-owner --no-privileges --exit-on-error --jobs=2 -d restored
#   SELECT count(*) FROM public.pgbench_accounts (compared with EXPECTED_ROWS if given)
#   pg_ctl stop -m immediate                             (as $PG_USER)
#   rm -rf
#
# Nothing else: no reports, no version checks. PG_BINDIR and PG_USER as in
# pg_common.sh. A failure stops the server and removes the directory too.
# BARE_TIMING=1 prints the time of each step to stderr (bash's
# $EPOCHREALTIME, no extra processes), named like drillproof's phases.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=pg_common.sh
source "$here/pg_common.sh"

if [[ $# -lt 1 || $# -gt 2 || $1 == -h || $1 == --help ]]; then
  echo "usage: ${0##*/} DUMP [EXPECTED_ROWS]" >&2
  exit 2
fi
dump=$(cd -- "$(dirname -- "$1")" && pwd)/$(basename -- "$1")
expected=${2:-}
[[ -r $dump ]] || bench_die "cannot read $dump"

# Step timing, only with BARE_TIMING set; no processes are forked for it.
t0=${EPOCHREALTIME/[.,]/}
t_last=$t0
step_done() {
  [[ -n ${BARE_TIMING:-} ]] || return 0
  local now=${EPOCHREALTIME/[.,]/}
  printf 'bare %-10s %4d.%03ds  (at %d.%03ds)\n' "$1" \
    $(((now - t_last) / 1000000)) $(((now - t_last) / 1000 % 1000)) \
    $(((now - t0) / 1000000)) $(((now - t0) / 1000 % 1000)) >&2
  t_last=$now
}

bindir=$(find_pg_bindir)
dir=$(mktemp -d "${TMPDIR:-/tmp}/bare-pg-XXXXXX")
data=$dir/data

cleanup() {
  local rc=$?
  if [[ -f $data/postmaster.pid ]]; then
    as_pg "$bindir/pg_ctl" stop -D "$data" -m immediate -s || true
  fi
  cd /
  rm -rf -- "$dir"
  exit "$rc"
}
trap cleanup EXIT

give_to_pg "$dir"
cd "$dir"
export LC_ALL=C TZ=UTC

# initdb
as_pg "$bindir/initdb" -D "$data" "${PG_INITDB_ARGS[@]}" >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; bench_die "initdb failed"; }

# start
as_pg "$bindir/postgres" -D "$data" -k "$dir" -p "$PG_PORT" "${PG_SERVER_SETTINGS[@]}" \
  >"$dir/server.stdout" 2>"$dir/server.log" &
server=$!
conn=(-h "$dir" -p "$PG_PORT" -U postgres)
tries=0
until "$bindir/pg_isready" -q "${conn[@]}" -d postgres; do
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$dir/server.log" >&2
    bench_die "postgres exited during start-up"
  fi
  ((++tries < 3000)) || bench_die "postgres did not accept connections within 60s"
  sleep 0.02
done

step_done provision

# restore
export PGOPTIONS=
"$bindir/psql" -X -q "${conn[@]}" -d postgres \
  -c "CREATE DATABASE restored TEMPLATE template0 ENCODING 'UTF8'"
"$bindir/pg_restore" "${conn[@]}" -d restored --no-owner --no-privileges --exit-on-error \
  --jobs=2 "$dump" >/dev/null 2>"$dir/restore.log" ||
  { tail -n 30 "$dir/restore.log" >&2; bench_die "pg_restore failed"; }
step_done restore

# the row_count check
rows=$("$bindir/psql" -X -A -t "${conn[@]}" -d restored \
  -c "SELECT count(*) FROM public.pgbench_accounts")
if [[ -n $expected && $rows != "$expected" ]]; then
  bench_die "public.pgbench_accounts has $rows rows, expected $expected"
fi
step_done checks

# teardown (the EXIT trap would do it too; done here so it is part of the work)
as_pg "$bindir/pg_ctl" stop -D "$data" -m immediate -s
wait "$server" || true
cd /
rm -rf -- "$dir"
trap - EXIT
step_done teardown
echo "restored $dump: public.pgbench_accounts has $rows rows"
