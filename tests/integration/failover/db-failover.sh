#!/usr/bin/env bash
# db-failover.sh STATE: promote the standby to primary and record it in
# STATE/db.primary. Does not touch the API: repointing it is its own step.
. "$(dirname "$0")/lib.sh"
old=$(primary)
new=$(other "$old")
pg_running "$new" || die "standby $new is not running"
is_standby "$new" || die "node $new is not a standby"
as_pg "$PGBIN/pg_ctl" -D "$STATE/$new/data" -w -t 60 promote >/dev/null || die "pg_ctl promote $new"
wait_for 30 "node $new to leave recovery" is_primary "$new"
echo "$new" >"$STATE/db.primary.tmp"
mv "$STATE/db.primary.tmp" "$STATE/db.primary"
log "node $new promoted (was standby of $old)"
