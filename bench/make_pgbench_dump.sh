#!/usr/bin/env bash
# make_pgbench_dump.sh OUT.dump [SCALE=20]
#
# Writes a pg_dump custom-format archive (-Fc) of a fresh `pgbench -i -s SCALE`
# database to OUT.dump. A temporary source cluster is created in a private
# temp directory (unix socket only, no TCP; run as $PG_USER when root),
# dumped, stopped and removed, also on failure. Does nothing if OUT.dump
# already exists (delete it to rebuild).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=pg_common.sh
source "$here/pg_common.sh"

if [[ $# -lt 1 || $# -gt 2 || $1 == -h || $1 == --help ]]; then
  echo "usage: ${0##*/} OUT.dump [SCALE=20]" >&2
  exit 2
fi
scale=${2:-20}
[[ $scale =~ ^[1-9][0-9]*$ ]] || bench_die "SCALE must be a positive integer, got '$scale'"

# Absolute: we cd into the work directory below.
mkdir -p -- "$(dirname -- "$1")"
out=$(cd -- "$(dirname -- "$1")" && pwd)/$(basename -- "$1")
if [[ -e $out ]]; then
  echo "${0##*/}: $out exists, not rebuilding it"
  exit 0
fi

bindir=$(find_pg_bindir)
work=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-src-XXXXXX")
data=$work/data
partial="$out.partial.$$"

cleanup() {
  local rc=$?
  if [[ -f $data/postmaster.pid ]]; then
    as_pg "$bindir/pg_ctl" stop -D "$data" -m immediate -s || true
  fi
  cd /
  rm -rf -- "$work"
  rm -f -- "$partial"
  exit "$rc"
}
trap cleanup EXIT

give_to_pg "$work"
cd "$work"
export LC_ALL=C TZ=UTC PGOPTIONS=

echo "${0##*/}: initdb + start a source cluster in $work"
as_pg "$bindir/initdb" -D "$data" "${PG_INITDB_ARGS[@]}" >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; bench_die "initdb failed"; }
as_pg "$bindir/pg_ctl" start -w -s -t 120 -D "$data" -l "$data/server.log" \
  -o "-k '$work' -p $PG_PORT -c listen_addresses= -c fsync=off -c synchronous_commit=off -c autovacuum=off -c maintenance_work_mem=256MB" ||
  { cat "$data/server.log" >&2 || true; bench_die "the source server did not start"; }

conn=(-h "$work" -p "$PG_PORT" -U postgres)
"$bindir/psql" -X -q "${conn[@]}" -d postgres -c "CREATE DATABASE pgbench"
echo "${0##*/}: pgbench -i -s $scale"
"$bindir/pgbench" -i -q -s "$scale" "${conn[@]}" pgbench
echo "${0##*/}: pg_dump -Fc"
"$bindir/pg_dump" -Fc "${conn[@]}" -d pgbench -f "$partial"
mv -f -- "$partial" "$out"
echo "${0##*/}: wrote $out ($(du -h "$out" | cut -f1))"
