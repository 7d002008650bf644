#!/usr/bin/env bash
# db-failback.sh STATE: make the original primary the primary again.
#  1. pg_rewind the old primary (crashed) against the current one and start it
#     as its standby (-R writes standby.signal and primary_conninfo);
#  2. wait until it has replayed everything the current primary has written;
#  3. switch over: stop the current primary cleanly (its shutdown checkpoint
#     streams to the standby), wait for it to be replayed, promote the old one;
#  4. rewind the other node against the new primary and start it as its
#     standby again, so the pair is back as it was before the disaster.
# Records the primary in STATE/db.primary; repointing the API is its own step.
. "$(dirname "$0")/lib.sh"
cur=$(primary)
old=$(other "$cur")
is_primary "$cur" || die "node $cur is not a primary"

rewind() { # TARGET SOURCE: make TARGET follow SOURCE
  if pg_running "$1"; then pg_stop "$1" fast || die "could not stop node $1"; fi
  # A just-promoted source has its new timeline in pg_control only after a
  # checkpoint; without one pg_rewind sees "same timeline, no rewind required".
  psql_at "$2" CHECKPOINT >/dev/null || die "CHECKPOINT on node $2"
  as_pg "$PGBIN/pg_rewind" -D "$STATE/$1/data" --source-server="$(conninfo "$2")" -R \
    >>"$STATE/$1/rewind.log" 2>&1 || die "pg_rewind $1 from $2: $(tail -3 "$STATE/$1/rewind.log")"
  log "node $1 rewound against $2: $(grep -E 'rewind required|Done' "$STATE/$1/rewind.log" | tail -1)"
  pg_start "$1" || die "node $1 did not start: $(tail -5 "$STATE/$1/server.log")"
  wait_for 60 "node $1 to stream from $2" streaming_to "$2"
  is_standby "$1" || die "node $1 is not in recovery"
}

# 1-2
rewind "$old" "$cur"
lsn=$(psql_at "$cur" "SELECT pg_current_wal_lsn()")
wait_for 60 "node $old to replay up to $lsn" replayed "$old" "$lsn"
log "node $old caught up with $cur at $lsn"

# 3
pg_stop "$cur" fast || die "could not stop node $cur"
last=$(as_pg "$PGBIN/pg_controldata" "$STATE/$cur/data" | sed -n 's/^Latest checkpoint location: *//p')
wait_for 60 "node $old to replay $cur's shutdown checkpoint $last" replayed "$old" "$last"
as_pg "$PGBIN/pg_ctl" -D "$STATE/$old/data" -w -t 60 promote >/dev/null || die "pg_ctl promote $old"
wait_for 30 "node $old to leave recovery" is_primary "$old"
echo "$old" >"$STATE/db.primary.tmp"
mv "$STATE/db.primary.tmp" "$STATE/db.primary"
log "node $old promoted again (switchover from $cur at $last)"

# 4
rewind "$cur" "$old"
log "node $cur follows $old again"
