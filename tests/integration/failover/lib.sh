# shellcheck shell=bash
# Shared by the failover drill scripts (sourced, never run). Every script
# takes the state dir as $1; all servers it starts live under it.
#
# State dir layout:
#   ports.env      PG_A_PORT PG_B_PORT API_PORT LB_PORT (written by setup.sh)
#   sock/          unix sockets of both PostgreSQL nodes
#   a/ b/          data dir and server.log of node a (first primary) and b
#   db.primary     which node is the read-write primary now (a or b)
#   api.target     the database port the API stand-in uses (its "config")
#   api.pid haproxy.pid haproxy.pids   pids to tear down
#   actions.log    one line per action: time, script, what it did
set -euo pipefail

STATE=${1:?usage: $0 STATE_DIR}
STATE=$(cd "$STATE" && pwd)
# shellcheck disable=SC2034  # used by the scripts that source this
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=$(basename "$0")
if [ -z "${PGBIN:-}" ]; then
  PGBIN=$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
SOCK=$STATE/sock
# The server user must be able to stand in its working directory.
cd "$STATE"
if [ -f "$STATE/ports.env" ]; then
  # shellcheck disable=SC1091
  . "$STATE/ports.env"
fi

log() {
  printf '%s %s %s\n' "$(date -u +%H:%M:%S.%3N)" "$SCRIPT" "$*" >>"$STATE/actions.log"
  printf '%s: %s\n' "$SCRIPT" "$*" >&2
}
die() {
  log "FAILED: $*"
  exit 1
}

# PostgreSQL refuses to run as root; its tools run as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_of() {
  case $1 in
    a) echo "$PG_A_PORT" ;;
    b) echo "$PG_B_PORT" ;;
    *) die "unknown node $1" ;;
  esac
}
other() { if [ "$1" = a ]; then echo b; else echo a; fi; }
primary() { cat "$STATE/db.primary"; }
conninfo() { echo "host=$SOCK port=$(port_of "$1") user=postgres dbname=postgres"; }

# psql_at NODE SQL [DB]: one value, unaligned; fails when the node does not answer.
psql_at() {
  "$PGBIN/psql" -X -At -v ON_ERROR_STOP=1 -h "$SOCK" -p "$(port_of "$1")" -U postgres \
    -d "${3:-postgres}" -c "$2"
}

pg_start() {
  as_pg "$PGBIN/pg_ctl" -D "$STATE/$1/data" -l "$STATE/$1/server.log" -w -t 60 \
    -o "-p $(port_of "$1") -k $SOCK -c listen_addresses=127.0.0.1" start >/dev/null
}
pg_stop() { # NODE MODE
  as_pg "$PGBIN/pg_ctl" -D "$STATE/$1/data" -m "$2" -w -t 60 stop >/dev/null
}
pg_running() { as_pg "$PGBIN/pg_ctl" -D "$STATE/$1/data" status >/dev/null 2>&1; }

# wait_for SECONDS WHAT CMD...: polls CMD every 100 ms until it succeeds.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local end=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || die "timed out after ${seconds}s waiting for $what"
    sleep 0.1
  done
}
is_primary() { [ "$(psql_at "$1" 'SELECT pg_is_in_recovery()')" = f ]; }
is_standby() { [ "$(psql_at "$1" 'SELECT pg_is_in_recovery()')" = t ]; }
streaming_to() { # PRIMARY: at least one standby streams from it
  [ "$(psql_at "$1" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ]
}
replayed() { # NODE LSN: NODE has replayed WAL up to LSN
  [ "$(psql_at "$1" "SELECT pg_last_wal_replay_lsn() >= '$2'::pg_lsn")" = t ]
}

# alive_with PID NEEDLE: the process exists and its command line names NEEDLE
# (guards against a recycled pid).
alive_with() {
  [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"
}
