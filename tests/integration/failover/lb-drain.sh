#!/usr/bin/env bash
# lb-drain.sh STATE: stop sending new requests to the API before the failback
# (HAProxy runtime API: server state drain). lb-reload.sh undoes it.
. "$(dirname "$0")/lib.sh"
answer=$(echo "set server api/api1 state drain" | socat -t 2 stdio "unix-connect:$STATE/haproxy.sock")
[ -z "$answer" ] || die "haproxy: $answer"
log "haproxy: api1 draining"
