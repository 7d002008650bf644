#!/usr/bin/env bash
# blob_refs_vs_pipeline.sh [--refs N] [--keys K] [--dangling D] [--runs R] [--rounds N] [--bench PATH] [--breakdown]
#
# Times the blob_refs check against the shell pipeline a user would write to
# find dangling blob keys:
#
#   A: dp_blob_refs_bench DIR blobs STORE MANIFEST "SELECT key FROM refs"
#        (the check alone: manifest -> index, one streamed COPY, no restore)
#   B: psql -c "COPY (SELECT key FROM refs) TO STDOUT" | LC_ALL=C sort -u > refs.sorted
#      cut -d' ' -f4- of the manifest's entries       | LC_ALL=C sort -u > keys.sorted
#      LC_ALL=C comm -23 refs.sorted keys.sorted | wc -l
#
# Goal from the issue: A <= 0.5 x B, the same dangling count, peak RSS reported.
# A scratch cluster is started in a private temp directory (unix socket only,
# drillproof's server settings from pg_common.sh, run as $PG_USER when root).
# The store is a manifest of K keys (blobs/NNNNNNN.bin) WITHOUT the files:
# both sides read only the manifest (A runs with check_files = false), so the
# benchmark measures key matching, not a million stat calls. The refs table
# has N rows; every (N/D)-th row names a distinct key the store lacks, the
# others cycle over the store's keys. Both commands run in one hyperfine
# invocation (--warmup 1 --runs R, order A, B); with --rounds N, N such
# invocations alternate the order (A, B then B, A) and the times are
# pooled, so a shared machine's changing load hits both; peak RSS of each
# from one extra run under
# /usr/bin/time -v. The script fails if the dangling counts differ from each
# other or from D.
#
#   --refs N      rows in refs (default 5000000)
#   --keys K      keys in the manifest (default 1000000)
#   --dangling D  dangling rows, a divisor of N (default 50000)
#   --runs R      hyperfine runs per command (default 5)
#   --rounds N    hyperfine invocations, alternating the order (default 1)
#   --bench PATH  dp_blob_refs_bench (default build/bench/)
#   --baseline PATH  another dp_blob_refs_bench (e.g. the build before a
#                 change), timed in the same invocations as "blob_refs baseline"
#   --breakdown   also time, in the same hyperfine invocation, the floor both
#                 sides share: psql COPY of the keys to /dev/null
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=pg_common.sh
source "$here/pg_common.sh"

refs=5000000 keys=1000000 dangling=50000 runs=5 rounds=1 bench='' baseline='' breakdown=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --refs) refs=${2:?}; shift 2 ;;
    --keys) keys=${2:?}; shift 2 ;;
    --dangling) dangling=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --bench) bench=${2:?}; shift 2 ;;
    --baseline) baseline=$(realpath -- "${2:?}"); shift 2 ;;
    --breakdown) breakdown=1; shift ;;
    -h | --help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: ${0##*/} [--refs N] [--keys K] [--dangling D] [--runs R] [--rounds N] [--bench PATH] [--baseline PATH] [--breakdown]" >&2; exit 2 ;;
  esac
done
for v in "$refs" "$keys" "$dangling" "$runs" "$rounds"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || bench_die "expected a positive integer, got '$v'"
done
((refs % dangling == 0)) || bench_die "--dangling must divide --refs"
if [[ -z $bench ]]; then
  for b in build-bench build; do
    if [[ -x $here/../$b/bench/dp_blob_refs_bench ]]; then
      bench=$(cd "$here/../$b/bench" && pwd)/dp_blob_refs_bench
      break
    fi
  done
fi
[[ -n $bench && -x $bench ]] ||
  bench_die "no dp_blob_refs_bench (cmake -DDP_BUILD_BENCH=ON, build target dp_blob_refs_bench, or pass --bench)"
bench=$(realpath -- "$bench")
command -v hyperfine >/dev/null || bench_die "hyperfine is missing (apt-get install -y hyperfine)"
command -v xxhsum >/dev/null || bench_die "xxhsum is missing (apt-get install -y xxhash)"
[[ -x /usr/bin/time ]] || bench_die "/usr/bin/time is missing (apt-get install -y time)"

bindir=$(find_pg_bindir)
out_dir=${BENCH_DIR:-/tmp/drillproof-bench}
mkdir -p -- "$out_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-blobs-XXXXXX")
data=$work/data

cleanup() {
  local rc=$?
  if [[ -f $data/postmaster.pid ]]; then
    as_pg "$bindir/pg_ctl" stop -D "$data" -m immediate -s || true
  fi
  cd /
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT

chmod 0755 "$work"
give_to_pg "$work"
cd "$work"
export LC_ALL=C TZ=UTC PGOPTIONS=

echo "${0##*/}: initdb + start a scratch cluster in $work" >&2
as_pg "$bindir/initdb" -D "$data" "${PG_INITDB_ARGS[@]}" >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; bench_die "initdb failed"; }
as_pg "$bindir/pg_ctl" start -w -s -t 120 -D "$data" -l "$work/server.log" \
  -o "-k '$work' -p $PG_PORT ${PG_SERVER_SETTINGS[*]}" ||
  { cat "$work/server.log" >&2 || true; bench_die "the server did not start"; }

conn=(-h "$work" -p "$PG_PORT" -U postgres)
"$bindir/psql" -X -q "${conn[@]}" -d postgres -c "CREATE DATABASE blobs"
step=$((refs / dangling))
echo "${0##*/}: refs: $refs rows, every ${step}th dangling ($dangling); store: $keys keys" >&2
"$bindir/psql" -X -q -v ON_ERROR_STOP=1 "${conn[@]}" -d blobs <<SQL
CREATE TABLE refs (id bigint PRIMARY KEY, key text NOT NULL);
INSERT INTO refs
SELECT g, CASE WHEN g % $step = 0
               THEN 'blobs/' || lpad(($keys + g / $step)::text, 7, '0') || '.bin'
               ELSE 'blobs/' || lpad((g % $keys)::text, 7, '0') || '.bin' END
FROM generate_series(1, $refs) AS g;
VACUUM ANALYZE refs;
SQL

# The manifest (docs/manifest.md) of a store holding blobs/0000000.bin ..:
# fixed-width names, so numeric order is the manifest's bytewise order. The
# digests are placeholders (no file exists; neither side reads them).
store=$work/store
mkdir -p "$store"
manifest=$work/store.manifest
{
  echo "# drillproof manifest v1 xxh3-128"
  awk -v n="$keys" 'BEGIN { for (i = 0; i < n; i++) printf "f 0123456789abcdef0123456789abcdef %d blobs/%07d.bin\n", 1000 + i % 5000, i }'
} >"$work/body"
self=$(xxhsum -H2 <"$work/body" | cut -d' ' -f1)
{ cat "$work/body"; echo "# self-digest $self"; } >"$manifest"
rm -f "$work/body"

query="SELECT key FROM refs"
dp_cmd="$bench $work blobs $store $manifest '$query'"
pipe_cmd="$bindir/psql -X -q ${conn[*]} -d blobs -c 'COPY ($query) TO STDOUT' | LC_ALL=C sort -u > $work/refs.sorted && grep '^f ' $manifest | cut -d' ' -f4- | LC_ALL=C sort -u > $work/keys.sorted && LC_ALL=C comm -23 $work/refs.sorted $work/keys.sorted | wc -l"

dp_count=$(bash -c "$dp_cmd" 2>/dev/null | awk '$1 == "dangling" { print $2 }' || true)
pipe_count=$(bash -c "$pipe_cmd")
echo "${0##*/}: dangling: blob_refs $dp_count, pipeline $pipe_count, expected $dangling" >&2
[[ $dp_count == "$pipe_count" && $dp_count == "$dangling" ]] ||
  bench_die "dangling counts differ: blob_refs '$dp_count', pipeline '$pipe_count', expected $dangling"

rss() {
  /usr/bin/time -v bash -c "$1 >/dev/null 2>&1 || true" 2>&1 >/dev/null |
    awk -F': ' '/Maximum resident set size/ {print $2}'
}
dp_rss=$(rss "$dp_cmd")
if [[ -n $baseline ]]; then
  echo "${0##*/}: peak RSS of the baseline: $(rss "$baseline $work blobs $store $manifest '$query'") KB" >&2
fi
pipe_rss=$(rss "$pipe_cmd")

extra=()
if [[ -n $baseline ]]; then
  extra+=(-n "blob_refs baseline" "$baseline $work blobs $store $manifest '$query' || test \$? = 1")
fi
if [[ $breakdown == 1 ]]; then
  extra+=(-n "psql COPY only" "$bindir/psql -X -q ${conn[*]} -d blobs -c 'COPY ($query) TO STDOUT' >/dev/null")
fi

result=$out_dir/blob-refs-$refs.json
# --rounds N: N hyperfine invocations, the commands in alternating order
# (forward, then reversed), times pooled.
cmds=(-n "blob_refs" "$dp_cmd || test \$? = 1" -n "psql | sort -u; comm -23" "$pipe_cmd")
rounds_json=()
echo "load before: $(uptime)" >&2
for ((r = 1; r <= rounds; r++)); do
  all=("${cmds[@]}" "${extra[@]}")
  order=()
  if ((r % 2)); then
    order=("${all[@]}")
  else
    for ((i = ${#all[@]} - 3; i >= 0; i -= 3)); do order+=("${all[@]:i:3}"); done
  fi
  hyperfine --warmup 1 --runs "$runs" --export-json "$result.$r" "${order[@]}" >&2
  rounds_json+=("$result.$r")
done
echo "load after: $(uptime)" >&2
# Pool each command's times over the rounds, in the order blob_refs, pipeline.
jq -s '{results: ([.[].results[]] | group_by(.command) | map({command: .[0].command, times: ([.[].times[]])})
        | map(. + {mean: (.times | add / length),
                   stddev: ((.times | add / length) as $m | (.times | map(. - $m | . * .) | add / (length - 1 + (if length == 1 then 1 else 0 end))) | sqrt)})
        | sort_by(if .command == "blob_refs" then 0 elif .command == "psql | sort -u; comm -23" then 1 else 2 end))}' \
  "${rounds_json[@]}" > "$result"
rm -f -- "${rounds_json[@]}"
jq -r '.results[] | "  \(.command): mean \(.mean * 1000 | floor) ms, sd \(.stddev * 1000 | floor) ms, \(.times | length) runs, median \(.times | sort | .[length / 2 | floor] * 1000 | floor) ms"' "$result" >&2
jq -r --arg dr "$dp_rss" --arg pr "$pipe_rss" --arg refs "$refs" --arg keys "$keys" --arg d "$dp_count" '
  .results as $r
  | ($r[0].mean / $r[1].mean) as $ratio
  | "\($refs) refs, \($keys) keys, \($d) dangling (both): blob_refs mean \($r[0].mean * 1000 | floor) ms (sd \($r[0].stddev * 1000 | floor)), "
    + "pipeline mean \($r[1].mean * 1000 | floor) ms (sd \($r[1].stddev * 1000 | floor)); "
    + "ratio \($ratio * 1000 | round / 1000); peak RSS blob_refs \($dr) KB, pipeline (largest process) \($pr) KB; "
    + "goal <= 0.5: \(if $ratio <= 0.5 then "met" else "NOT met" end)"' "$result"
