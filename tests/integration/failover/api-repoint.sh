#!/usr/bin/env bash
# api-repoint.sh STATE: point the API stand-in at the current primary (the
# failover and the failback action of the API). It reads STATE/api.target on
# every request, so rewriting the file is the whole reconfiguration.
. "$(dirname "$0")/lib.sh"
node=$(primary)
port=$(port_of "$node")
echo "$port" >"$STATE/api.target.tmp"
mv "$STATE/api.target.tmp" "$STATE/api.target"
log "API now uses node $node (port $port)"
