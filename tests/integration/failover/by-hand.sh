#!/usr/bin/env bash
# by-hand.sh STATE: the whole drill without drillproof, to check the scripts
# themselves (and to show what the plan's actions do). Writes markers into
# app.hand_markers every 50 ms, crashes the primary, fails over, fails back,
# and checks that every marker the standby had at failover, and the row
# db-drain.sh wrote on it while failed over, survived failback.
# Tears everything down at the end, whatever happens.
. "$(dirname "$0")/lib.sh"
dir=$HERE
writer=
trap '[ -z "$writer" ] || kill "$writer"; "$dir/teardown.sh" "$STATE"' EXIT
lb() { curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$LB_PORT/health"; }
lb_ok() { [ "$(lb)" = 200 ]; }

"$dir/setup.sh" "$STATE"
# shellcheck source=/dev/null
. "$STATE/ports.env"
psql_at a "CREATE TABLE hand_markers (id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())" app
( while psql_at "$(primary)" "INSERT INTO hand_markers DEFAULT VALUES" app >/dev/null 2>&1 || true; do
    sleep 0.05
  done ) &
writer=$!
sleep 1
echo "LB before: $(lb)"

"$dir/disaster.sh" "$STATE"
sleep 0.5
echo "LB after disaster: $(lb)"
"$dir/db-failover.sh" "$STATE"
echo "LB after db failover, API not repointed: $(lb)"
"$dir/api-repoint.sh" "$STATE"
"$dir/lb-reload.sh" "$STATE"
wait_for 10 "LB healthy after failover" lb_ok
# ids are not dense (a promoted server's sequence skips the values the old
# primary had cached), so compare the exact list of ids.
at_failover=$(psql_at b "SELECT string_agg(id::text, ',' ORDER BY id) FROM hand_markers" app)
echo "LB after failover: $(lb); markers on b: $at_failover"
sleep 1

"$dir/lb-drain.sh" "$STATE"
sleep 0.5
echo "LB drained: $(lb)"
"$dir/db-drain.sh" "$STATE"
"$dir/db-failback.sh" "$STATE"
"$dir/api-repoint.sh" "$STATE"
"$dir/lb-reload.sh" "$STATE"
wait_for 10 "LB healthy after failback" lb_ok
kill "$writer"
writer=
echo "LB after failback: $(lb); primary $(primary)"
missing=$(psql_at a "SELECT count(*) FROM unnest('{$at_failover}'::bigint[]) AS m(id) WHERE NOT EXISTS (SELECT 1 FROM hand_markers h WHERE h.id = m.id)" app)
echo "markers on a after failback: $(psql_at a "SELECT count(*) FROM hand_markers" app); of those on b at failover missing: $missing"
echo "b in recovery: $(psql_at b 'SELECT pg_is_in_recovery()'), streaming from a: $(psql_at a "SELECT count(*) FROM pg_stat_replication")"
[ "$missing" = 0 ] || die "markers lost"
[ "$(psql_at a "SELECT node FROM drill_log" app)" = b ] || die "the row written on b while failed over is not on a"
echo "BY-HAND DRILL OK"
