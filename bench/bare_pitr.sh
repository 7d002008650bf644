#!/usr/bin/env bash
# bare_pitr.sh BASE ARCHIVE
#
# A point-in-time recovery done by hand, the way the PostgreSQL manual
# describes it ("Recovering Using a Continuous Archive Backup"), to the end
# of the archive (recovery_target = latest):
#
#   mktemp -d, chown to $PG_USER when root
#   cp -a BASE DIR/data; remove postmaster.pid; touch recovery.signal
#   postgres with drillproof's scratch -c settings plus
#     restore_command = 'cp "ARCHIVE/%f" "%p"', recovery_target_timeline = latest,
#     recovery_target_action = promote                  (as $PG_USER)
#   wait until it accepts connections and pg_is_in_recovery() is false
#   pg_ctl stop -m immediate, rm -rf
#
# The bare-shell counterpart of `drillproof run` on a [[backup]] with
# format = "basebackup" and wal_archive = ARCHIVE (bench/pitr_vs_manual.sh).
# PG_BINDIR and PG_USER as in pg_common.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=pg_common.sh
source "$here/pg_common.sh"

[[ $# -eq 2 ]] || { echo "usage: ${0##*/} BASE ARCHIVE" >&2; exit 2; }
base=$(cd -- "$1" && pwd)
archive=$(cd -- "$2" && pwd)
[[ -f $base/backup_label ]] || bench_die "$base is not a plain pg_basebackup (no backup_label)"

bindir=$(find_pg_bindir)
dir=$(mktemp -d "${TMPDIR:-/tmp}/bare-pitr-XXXXXX")
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
cd "$dir"
export LC_ALL=C TZ=UTC

cp -a -- "$base" "$data"
rm -f -- "$data/postmaster.pid" "$data/postmaster.opts" "$data/standby.signal"
touch "$data/recovery.signal"
chmod 0700 "$data"
give_to_pg "$dir"

# wal_level=minimal cannot start archive recovery of WAL written at replica:
# the settings are drillproof's scratch settings with that one replaced.
# hot_standby=off: with it on, recovery refuses max_wal_senders=0 (lower than
# the source's), and nothing connects before the promotion anyway.
settings=()
for ((i = 0; i < ${#PG_SERVER_SETTINGS[@]}; i += 2)); do
  case ${PG_SERVER_SETTINGS[i + 1]} in
    wal_level=*) settings+=(-c wal_level=replica) ;;
    *) settings+=("${PG_SERVER_SETTINGS[i]}" "${PG_SERVER_SETTINGS[i + 1]}") ;;
  esac
done
as_pg "$bindir/postgres" -D "$data" -k "$dir" -p "$PG_PORT" "${settings[@]}" \
  -c archive_mode=off -c "restore_command=cp \"$archive/%f\" \"%p\"" \
  -c hot_standby=off -c recovery_target_timeline=latest -c recovery_target_action=promote \
  >"$dir/server.stdout" 2>"$dir/server.log" &
server=$!
conn=(-h "$dir" -p "$PG_PORT" -U postgres -d postgres)
# With hot_standby off the server accepts connections only once recovery
# has ended and it has promoted itself.
until [[ $("$bindir/psql" "${conn[@]}" -Atq -c "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]]; do
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$dir/server.log" >&2
    bench_die "postgres exited during recovery"
  fi
  sleep 0.05
done
as_pg "$bindir/pg_ctl" stop -D "$data" -m immediate -s
