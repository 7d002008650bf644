#!/usr/bin/env bash
# basebackup_vs_pg_verifybackup.sh [--runs N] [--scale S] [--binary PATH]
#
# Times `drillproof manifest verify DIR DIR/backup_manifest` against
# PostgreSQL's own pg_verifybackup on the same pg_basebackup directory, in one
# hyperfine invocation, page-cached:
#
#   drillproof manifest verify DIR DIR/backup_manifest   (parses WAL with pg_waldump)
#   pg_verifybackup DIR        (also parses the backup's WAL with pg_waldump)
#   drillproof manifest verify --no-parse-wal ...        (WAL segments by file only)
#   pg_verifybackup -n DIR     (no WAL parsing)
#
# The backup is made once under $BENCH_DIR (default
# /tmp/drillproof-bench/basebackup): a temporary source cluster (unix socket
# only, run as $PG_USER when root) gets `pgbench -i -s SCALE` (default 50),
# then `pg_basebackup -Fp -X stream --manifest-checksums=CRC32C`; the cluster
# is stopped and removed, also on failure. Delete the directory to rebuild.
# Prints each drillproof mode's mean time as a ratio of the matching
# pg_verifybackup's. Goal: <= 0.5 against pg_verifybackup (CRC32C manifest).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=pg_common.sh
source "$here/pg_common.sh"

runs=10
scale=50
binary=$here/../build/drillproof
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    *) echo "usage: ${0##*/} [--runs N] [--scale S] [--binary PATH]" >&2; exit 2 ;;
  esac
done
[[ $scale =~ ^[1-9][0-9]*$ ]] || bench_die "--scale must be a positive integer, got '$scale'"
binary=$(realpath -- "$binary") # the backup is made after a cd
bindir=$(find_pg_bindir)
for tool in hyperfine python3 "$binary" "$bindir/pg_verifybackup" "$bindir/pgbench"; do
  command -v "$tool" >/dev/null || bench_die "$tool not found"
done
dir=${BENCH_DIR:-/tmp/drillproof-bench/basebackup}
backup=$dir/backup-s$scale
mkdir -p "$dir"

if [[ ! -f $backup.done ]]; then
  rm -rf -- "$backup"
  work=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-bb-XXXXXX")
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
  cd "$work"
  export LC_ALL=C TZ=UTC PGOPTIONS=
  echo "${0##*/}: initdb + start a source cluster in $work"
  as_pg "$bindir/initdb" -D "$data" "${PG_INITDB_ARGS[@]}" >"$work/initdb.log" 2>&1 ||
    { cat "$work/initdb.log" >&2; bench_die "initdb failed"; }
  as_pg "$bindir/pg_ctl" start -w -s -t 120 -D "$data" -l "$data/server.log" \
    -o "-k '$work' -p $PG_PORT -c listen_addresses= -c fsync=off -c synchronous_commit=off -c autovacuum=off -c wal_level=replica -c max_wal_senders=4 -c maintenance_work_mem=256MB" ||
    { cat "$data/server.log" >&2 || true; bench_die "the source server did not start"; }
  conn=(-h "$work" -p "$PG_PORT" -U postgres)
  echo "${0##*/}: pgbench -i -s $scale"
  "$bindir/pgbench" -i -q -s "$scale" "${conn[@]}" postgres
  echo "${0##*/}: pg_basebackup -Fp -X stream --manifest-checksums=CRC32C"
  "$bindir/pg_basebackup" "${conn[@]}" -D "$backup" -Fp -X stream --checkpoint=fast \
    --manifest-checksums=CRC32C
  touch "$backup.done"
  as_pg "$bindir/pg_ctl" stop -D "$data" -m fast -s
  trap - EXIT
  cd /
  rm -rf -- "$work"
fi

echo "${0##*/}: $(du -sh "$backup" | cut -f1) in $(find "$backup" -type f | wc -l) files"
find "$backup" -type f -print0 | xargs -0 cat >/dev/null # into the page cache
uptime
hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$dir/basebackup.json" \
  -n "drillproof manifest verify" "$binary manifest verify $backup $backup/backup_manifest" \
  -n "pg_verifybackup" "$bindir/pg_verifybackup -q $backup" \
  -n "drillproof manifest verify --no-parse-wal" \
  "$binary manifest verify --no-parse-wal $backup $backup/backup_manifest" \
  -n "pg_verifybackup -n" "$bindir/pg_verifybackup -q -n $backup"
uptime
python3 - "$dir/basebackup.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
dp, full, dp_nowal, nowal = r
print(f"drillproof {dp['mean']:.3f} s, pg_verifybackup {full['mean']:.3f} s, "
      f"drillproof --no-parse-wal {dp_nowal['mean']:.3f} s, "
      f"pg_verifybackup -n {nowal['mean']:.3f} s")
for name, mine, ref in (("drillproof vs pg_verifybackup", dp, full),
                        ("--no-parse-wal vs pg_verifybackup -n", dp_nowal, nowal)):
    print(f"ratio {name}: {mine['mean'] / ref['mean']:.3f} (means), "
          f"{mine['median'] / ref['median']:.3f} (medians)")
PY
