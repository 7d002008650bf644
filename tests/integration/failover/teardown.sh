#!/usr/bin/env bash
# teardown.sh STATE: stop everything setup.sh and the actions started, by pid
# (postmaster.pid, api.pid, haproxy.pids), checking each pid's command line
# first. Safe to run twice, after a half-finished setup, and on any path.
. "$(dirname "$0")/lib.sh"
set +e

stop_pid() { # PID NEEDLE SIGNAL
  alive_with "$1" "$2" || return 0
  kill "-$3" "$1" 2>/dev/null
  for _ in $(seq 100); do
    alive_with "$1" "$2" || return 0
    sleep 0.05
  done
  kill -KILL "$1" 2>/dev/null
  log "pid $1 ($2) killed after 5s"
}

for node in a b; do
  pidfile=$STATE/$node/data/postmaster.pid
  [ -f "$pidfile" ] || continue
  # SIGQUIT is PostgreSQL's immediate shutdown: nothing here is worth a checkpoint.
  stop_pid "$(head -n 1 "$pidfile")" postgres QUIT
done
[ -f "$STATE/api.pid" ] && stop_pid "$(cat "$STATE/api.pid")" api_standin.py TERM
if [ -f "$STATE/haproxy.pids" ]; then
  sort -u "$STATE/haproxy.pids" | while read -r pid; do stop_pid "$pid" "$STATE/haproxy.cfg" TERM; done
fi
log "torn down"
exit 0
