#!/usr/bin/env bash
# my_bare_restore.sh DUMP.sql
#
# What drillproof's MySQL restore drill does, by hand and nothing more: a
# private directory, mariadb-install-db, mariadbd with drillproof's own
# options (read from drills/my_scratch.cpp), CREATE DATABASE, `mariadb <
# dump`, one count(*) (drillproof's plan has one row_count check), kill the
# server, remove the directory. Timed against `drillproof run` by
# mysql_restore_vs_script.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=my_common.sh
source "$here/my_common.sh"
dump=${1:?usage: my_bare_restore.sh DUMP.sql}

dir=$(mktemp -d "${TMPDIR:-/tmp}/bare-my-XXXXXX")
trap 'my_stop; rm -rf "$dir"' EXIT
give_to_my "$dir"
my_start "$dir"
my_sql "$dir" -e 'CREATE DATABASE bench'
my_sql "$dir" bench <"$dump"
my_sql "$dir" bench -e 'SELECT count(*) FROM big' >/dev/null
