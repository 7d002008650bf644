#!/usr/bin/env bash
# setup.sh STATE: a PostgreSQL primary (node a) with a streaming-replication
# standby (node b) made by pg_basebackup -R, the API stand-in pointing at the
# primary, and HAProxy in front of the API. Ports are free loopback ports
# picked here and written to STATE/ports.env. Undo with teardown.sh STATE.
. "$(dirname "$0")/lib.sh"

[ -x "$PGBIN/initdb" ] || die "no PostgreSQL binaries (PGBIN=$PGBIN)"
command -v haproxy >/dev/null || die "haproxy is not installed"

if [ ! -f "$STATE/ports.env" ]; then
  # Four distinct free loopback ports, held open together so none repeats.
  /usr/bin/python3 - >"$STATE/ports.env" <<'PY'
import socket
socks = []
for name in ("PG_A_PORT", "PG_B_PORT", "API_PORT", "LB_PORT"):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
    print(f"{name}={s.getsockname()[1]}")
PY
  # shellcheck source=/dev/null
  . "$STATE/ports.env"
fi

mkdir -p "$SOCK" "$STATE/a" "$STATE/b"
chown postgres: "$SOCK" "$STATE/a" "$STATE/b" 2>/dev/null || true
chmod 0755 "$SOCK"
: >>"$STATE/actions.log"

as_pg "$PGBIN/initdb" -D "$STATE/a/data" -U postgres -A trust -E UTF8 --locale=C \
  --no-sync --no-instructions >"$STATE/a/initdb.log" 2>&1 || die "initdb: $(tail -5 "$STATE/a/initdb.log")"
# wal_log_hints: pg_rewind needs it (or data checksums) to rewind safely.
# fsync off: a scratch cluster; "stop -m immediate" is a crash of the server,
# not of the machine, so the page cache keeps everything that was written.
cat >>"$STATE/a/data/postgresql.conf" <<CONF
wal_level = replica
wal_log_hints = on
max_wal_senders = 5
wal_keep_size = '256MB'
hot_standby = on
wal_receiver_status_interval = 1s
fsync = off
unix_socket_permissions = 0777
logging_collector = off
CONF
# initdb -A trust already allows local and 127.0.0.1 replication connections.
pg_start a || die "node a did not start: $(tail -5 "$STATE/a/server.log")"
psql_at a "CREATE DATABASE app" >/dev/null

as_pg "$PGBIN/pg_basebackup" -h "$SOCK" -p "$PG_A_PORT" -U postgres -D "$STATE/b/data" \
  -R -X stream -c fast >"$STATE/b/basebackup.log" 2>&1 ||
  die "pg_basebackup: $(tail -5 "$STATE/b/basebackup.log")"
pg_start b || die "node b did not start: $(tail -5 "$STATE/b/server.log")"
wait_for 30 "node b to stream from node a" streaming_to a
is_standby b || die "node b is not in recovery"
echo a >"$STATE/db.primary"
echo "$PG_A_PORT" >"$STATE/api.target"
log "primary a on $PG_A_PORT, standby b on $PG_B_PORT streaming"

# The API stand-in: its own session so it outlives this script's process group.
setsid /usr/bin/python3 -u "$HERE/api_standin.py" "$STATE" </dev/null >>"$STATE/api.log" 2>&1 &
wait_for 10 "the API stand-in's pid file" test -s "$STATE/api.pid"

sed -e "s|@STATE@|$STATE|g" -e "s|@API_PORT@|$API_PORT|g" -e "s|@LB_PORT@|$LB_PORT|g" \
  "$HERE/haproxy.cfg.in" >"$STATE/haproxy.cfg"
haproxy -c -q -f "$STATE/haproxy.cfg" || die "haproxy rejects $STATE/haproxy.cfg"
haproxy -D -f "$STATE/haproxy.cfg" -p "$STATE/haproxy.pid" </dev/null >/dev/null 2>>"$STATE/haproxy.log" ||
  die "haproxy did not start: $(tail -5 "$STATE/haproxy.log")"
cat "$STATE/haproxy.pid" >>"$STATE/haproxy.pids"

lb_ok() { [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$LB_PORT/health")" = 200 ]; }
wait_for 20 "HAProxy to answer 200 on /health" lb_ok
log "API stand-in on $API_PORT, HAProxy on $LB_PORT: healthy"
