# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables below are used by the scripts that source this
# Shared by the MySQL bench/ scripts (sourced, not run). Mirrors what
# drillproof does in drills/my_scratch.cpp so the bare script does exactly
# the same work: the server options are read from that file's
# my_server_args() list, so the two cannot drift apart.
#
# Environment:
#   MY_USER   server user when running as root (default mysql, like
#             drillproof's default for mysql backups)

MY_USER=${MY_USER:-mysql}
here_my=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bench_die() {
  printf '%s: %s\n' "${0##*/}" "$*" >&2
  exit 1
}

# The options drillproof passes to mariadbd after --no-defaults, --datadir,
# --socket, --pid-file, --log-error and --tmpdir, from drills/my_scratch.cpp.
my_server_settings() {
  local src=$here_my/../drills/my_scratch.cpp
  [[ -f $src ]] || bench_die "$src not found: run from a source checkout"
  tr '\n' ' ' <"$src" | grep -oE 'k_args = \{[^}]*\}' | grep -oE '"--[^"]*"' | tr -d '"'
}

MY_SERVER=$(command -v mariadbd || echo /usr/sbin/mariadbd)
MY_INSTALL_DB=$(command -v mariadb-install-db || echo /usr/bin/mariadb-install-db)
MY_CLIENT=$(command -v mariadb || echo /usr/bin/mariadb)
MY_DUMP=$(command -v mariadb-dump || echo /usr/bin/mariadb-dump)

as_my() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u "$MY_USER" -- "$@"
  else
    "$@"
  fi
}

give_to_my() {
  if [[ $EUID -eq 0 ]]; then
    chown -R "$MY_USER:" "$1"
  fi
}

# my_start DIR: install-db into DIR/data and start mariadbd on DIR/mysql.sock
# as drillproof does; prints nothing, returns when the server answers.
my_start() {
  local dir=$1
  TMPDIR=$dir as_my "$MY_INSTALL_DB" --no-defaults --datadir="$dir/data" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve >/dev/null 2>&1 ||
    bench_die "mariadb-install-db failed"
  # shellcheck disable=SC2046  # one option per word
  TMPDIR=$dir as_my "$MY_SERVER" --no-defaults --datadir="$dir/data" --socket="$dir/mysql.sock" \
    --pid-file="$dir/mysql.pid" --log-error="$dir/server.log" --tmpdir="$dir" \
    $(my_server_settings) >/dev/null 2>&1 &
  MY_PID=$!
  MY_DIR=$dir
  local i
  for ((i = 0; i < 6000; i++)); do
    if [[ -S $dir/mysql.sock ]] &&
      "$MY_CLIENT" --no-defaults --socket="$dir/mysql.sock" --user=root -e 'SELECT 1' \
        >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.01
  done
  bench_die "mariadbd did not start: $(tail -n 5 "$dir/server.log")"
}

my_sql() {
  local dir=$1
  shift
  "$MY_CLIENT" --no-defaults --socket="$dir/mysql.sock" --user=root --batch \
    --max-allowed-packet=1G "$@"
}

# Kills the server at once (drillproof sends SIGKILL too) and waits for it:
# mariadbd itself (its pid file), then runuser, which then exits.
my_stop() {
  [[ -n ${MY_PID:-} ]] || return 0
  if [[ -s $MY_DIR/mysql.pid ]]; then
    kill -KILL "$(cat "$MY_DIR/mysql.pid")" 2>/dev/null || true
  fi
  kill -KILL "$MY_PID" 2>/dev/null || true
  wait "$MY_PID" 2>/dev/null || true
  MY_PID=
}
