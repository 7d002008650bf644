#!/usr/bin/env bash
# db-drain.sh STATE: before the switch back, with traffic already drained at
# the load balancer: CHECKPOINT the current primary (a shorter switchover and
# pg_rewind), and record the drain in app.drill_log on it. That row is
# written on the failed-over primary, so finding it on the original primary
# after failback shows the failback kept what happened while failed over.
. "$(dirname "$0")/lib.sh"
node=$(primary)
is_primary "$node" || die "node $node is not a primary"
psql_at "$node" "CREATE TABLE IF NOT EXISTS drill_log (at timestamptz NOT NULL DEFAULT clock_timestamp(), node text NOT NULL, event text NOT NULL)" app >/dev/null
psql_at "$node" "INSERT INTO drill_log (node, event) VALUES ('$node', 'drained before failback')" app >/dev/null
psql_at "$node" CHECKPOINT >/dev/null
log "node $node: checkpoint, drain recorded in app.drill_log"
