#!/usr/bin/env bash
# lb-reload.sh STATE: check HAProxy's configuration and reload it gracefully
# (a new process takes over the listener, -sf lets the old one finish). The
# failover and failback action of the load balancer; after the failback it
# also undoes lb-drain.sh, since the configuration says the server is ready.
. "$(dirname "$0")/lib.sh"
cfg=$STATE/haproxy.cfg
haproxy -c -q -f "$cfg" || die "haproxy rejects $cfg"
old=$(cat "$STATE/haproxy.pid" 2>/dev/null || true)
haproxy -D -f "$cfg" -p "$STATE/haproxy.pid" ${old:+-sf $old} </dev/null >/dev/null 2>>"$STATE/haproxy.log" ||
  die "haproxy reload failed: $(tail -3 "$STATE/haproxy.log")"
cat "$STATE/haproxy.pid" >>"$STATE/haproxy.pids"
if [ -n "$old" ]; then
  gone() { ! alive_with "$old" haproxy; }
  wait_for 10 "the old HAProxy ($old) to finish" gone
fi
log "haproxy reloaded (pid $(cat "$STATE/haproxy.pid"), was ${old:-none})"
