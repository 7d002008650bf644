#!/usr/bin/env bash
# make_wal_archive.sh DIR [SCALE]
#
# Builds, once, the fixture of the point-in-time recovery benchmark in DIR:
#   DIR/base      pg_basebackup -Fp -X stream of a fresh cluster (small)
#   DIR/archive   every WAL segment the cluster archived after that backup
#                 (archive_command = cp), about 1.2 GiB for SCALE 90
#   DIR/done      written last; its presence means the fixture is complete
# The work after the base backup is `pgbench -i -s SCALE` (default 90) with
# wal_level = replica: tables and indexes are written to WAL in full. A
# temporary source cluster (unix socket only, run as $PG_USER when root) is
# stopped and removed afterwards, also on failure. PG_BINDIR and PG_USER as
# in pg_common.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=pg_common.sh
source "$here/pg_common.sh"

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: ${0##*/} DIR [SCALE]" >&2; exit 2; }
out=$1
scale=${2:-90}
[[ $scale =~ ^[1-9][0-9]*$ ]] || bench_die "SCALE must be a positive integer, got '$scale'"
[[ -f $out/done ]] && exit 0

bindir=$(find_pg_bindir)
rm -rf -- "$out"
mkdir -p -- "$out/archive"
out=$(cd -- "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-wal-XXXXXX")
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
give_to_pg "$work"
give_to_pg "$out"
cd "$work"
export LC_ALL=C TZ=UTC PGOPTIONS=

echo "${0##*/}: initdb + start a source cluster archiving to $out/archive"
as_pg "$bindir/initdb" -D "$data" "${PG_INITDB_ARGS[@]}" >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; bench_die "initdb failed"; }
as_pg "$bindir/pg_ctl" start -w -s -t 120 -D "$data" -l "$data/server.log" \
  -o "-k '$work' -p $PG_PORT -c listen_addresses= -c fsync=off -c synchronous_commit=off -c autovacuum=off -c wal_level=replica -c max_wal_senders=4 -c max_wal_size=4GB -c archive_mode=on -c archive_command='cp %p $out/archive/%f'" ||
  { cat "$data/server.log" >&2 || true; bench_die "the source server did not start"; }
conn=(-h "$work" -p "$PG_PORT" -U postgres)

as_pg "$bindir/pg_basebackup" "${conn[@]}" -D "$out/base" -Fp -X stream --checkpoint=fast
echo "${0##*/}: pgbench -i -s $scale (the WAL to replay)"
"$bindir/pgbench" -i -q -s "$scale" "${conn[@]}" postgres
last=$("$bindir/psql" "${conn[@]}" -At -d postgres -c "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 600); do
  [[ -f $out/archive/$last ]] && break
  sleep 0.5
done
[[ -f $out/archive/$last ]] || bench_die "segment $last was not archived in 5 minutes"
as_pg "$bindir/pg_ctl" stop -D "$data" -m fast -s
chmod -R a+rX "$out"
echo "${0##*/}: $(du -sh "$out/archive" | cut -f1) of WAL in $(find "$out/archive" -type f | wc -l) files"
touch "$out/done"
