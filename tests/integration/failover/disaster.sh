#!/usr/bin/env bash
# disaster.sh STATE: the primary crashes (pg_ctl stop -m immediate: no
# checkpoint, no goodbye to the standby, as a killed server).
. "$(dirname "$0")/lib.sh"
node=$(primary)
pg_stop "$node" immediate || die "could not stop node $node"
log "node $node stopped (immediate)"
