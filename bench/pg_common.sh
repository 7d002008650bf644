# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables below are used by the scripts that source this
# Shared by the bench/ scripts (sourced, not run). Mirrors what drillproof
# does in drills/pg_scratch.cpp so the bare script does exactly the same work.
#
# Environment:
#   PG_BINDIR  PostgreSQL bin directory (default: `pg_config --bindir` if it
#              has initdb, else the newest /usr/lib/postgresql/*/bin; the
#              same search drillproof does)
#   PG_USER    server user when running as root (default postgres, like
#              drillproof's run_as)

PG_USER=${PG_USER:-postgres}
# drillproof's PgScratch::k_port; the socket lives in a private directory.
PG_PORT=5432

bench_die() {
  printf '%s: %s\n' "${0##*/}" "$*" >&2
  exit 1
}

# Prints the PostgreSQL bin directory, found the way drillproof finds it.
find_pg_bindir() {
  if [[ -n ${PG_BINDIR:-} ]]; then
    [[ -x $PG_BINDIR/initdb ]] || bench_die "PG_BINDIR=$PG_BINDIR has no initdb"
    printf '%s\n' "$PG_BINDIR"
    return
  fi
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [[ -n $dir && -x $dir/initdb ]]; then
      printf '%s\n' "$dir"
      return
    fi
  fi
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null |
    sort -V | tail -n 1)
  [[ -n $dir && -x $dir/initdb ]] ||
    bench_die "no PostgreSQL server binaries (apt-get install -y postgresql, or set PG_BINDIR)"
  printf '%s\n' "$dir"
}

# Runs "$@" as the server user when we are root (servers refuse to run as
# root), else as ourselves.
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

# Hands a fresh private directory to the server user (drillproof chowns its
# scratch directory the same way).
give_to_pg() {
  if [[ $EUID -eq 0 ]]; then
    chown -R "$PG_USER:" "$1"
  fi
}

# initdb arguments drillproof uses (PgScratch::start), minus -D.
PG_INITDB_ARGS=(-U postgres -A trust -E UTF8 --locale=C --no-sync --no-instructions)

# The server settings drillproof passes to `postgres` (PgScratch::start),
# minus -D, -k and -p. restore_vs_script.sh checks these against
# drills/pg_scratch.cpp so the two cannot drift apart silently.
PG_SERVER_SETTINGS=(
  -c listen_addresses=
  -c fsync=off
  -c synchronous_commit=off
  -c full_page_writes=off
  -c wal_level=minimal
  -c max_wal_senders=0
  -c max_wal_size=4GB
  -c checkpoint_timeout=1h
  -c autovacuum=off
  -c shared_buffers=256MB
  -c maintenance_work_mem=256MB
  -c logging_collector=off
  -c log_min_messages=warning
  -c unix_socket_permissions=0777
)
