#!/usr/bin/env bash
# pitr_vs_manual.sh [--runs N] [--scale S]
#
# Issue 8's benchmark: `drillproof run` restoring a pg_basebackup and
# replaying its WAL archive to the end (target latest) versus the same
# recovery done by hand (bare_pitr.sh: copy the base backup,
# recovery.signal, restore_command, start, wait for the promotion), in ONE
# hyperfine invocation; prints drillproof_mean / manual_mean. Goal: <= 1.05.
#
#   --runs N    timed runs per command (default 3, plus 1 warm-up each)
#   --scale S   pgbench -i scale of the work after the base backup (default
#               90: about 1.2 GiB of WAL)
#
# Environment: DRILLPROOF (default ../build/drillproof), BENCH_DIR (default
# /tmp/drillproof-bench; the fixture is kept in $BENCH_DIR/pitr-sS), PG_BINDIR,
# PG_USER as in pg_common.sh. The archive is page-cached before timing, so
# both sides read it from memory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=pg_common.sh
source "$here/pg_common.sh"

runs=3
scale=90
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    *) echo "usage: ${0##*/} [--runs N] [--scale S]" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || bench_die "--runs must be a positive integer, got '$runs'"
drillproof=${DRILLPROOF:-$here/../build/drillproof}
[[ -x $drillproof ]] || bench_die "$drillproof is not built (set DRILLPROOF)"
drillproof=$(realpath -- "$drillproof")
for tool in hyperfine python3; do
  command -v "$tool" >/dev/null || bench_die "$tool not found"
done

bench=${BENCH_DIR:-/tmp/drillproof-bench}
mkdir -p -- "$bench"
bench=$(cd -- "$bench" && pwd)
fixture=$bench/pitr-s$scale
"$here/make_wal_archive.sh" "$fixture" "$scale"
plan=$bench/pitr-s$scale.toml
out=$bench/pitr-out
{
  echo "# written by bench/pitr_vs_manual.sh"
  echo "[plan]"
  echo "name = \"bench pitr scale $scale\""
  [[ $EUID -ne 0 ]] || echo "run_as = \"$PG_USER\""
  echo
  echo "[[backup]]"
  echo "name = \"pitr\""
  echo "engine = \"postgres\""
  echo "format = \"basebackup\""
  echo "path = \"$fixture/base\""
  echo "database = \"postgres\""
  echo "wal_archive = \"$fixture/archive\""
  echo "target = \"latest\""
} >"$plan"
"$drillproof" validate "$plan" >/dev/null || bench_die "drillproof validate $plan failed"

echo "== $(nproc) cores; $(du -sh "$fixture/archive" | cut -f1) of WAL in" \
  "$(find "$fixture/archive" -type f | wc -l) files; load average $(cut -d' ' -f1-3 /proc/loadavg)"
find "$fixture" -type f -print0 | xargs -0 cat >/dev/null # into the page cache
hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$bench/pitr.json" \
  -n drillproof "$(printf '%q' "$drillproof") run $(printf '%q' "$plan") --out $(printf '%q' "$out")" \
  -n manual "$(printf '%q' "$here/bare_pitr.sh") $(printf '%q' "$fixture/base") $(printf '%q' "$fixture/archive")"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$bench/pitr.json" "$out/report.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
d, m = r["drillproof"], r["manual"]
ratio = d["mean"] / m["mean"]
print(f"drillproof {d['mean']:.3f} s, manual {m['mean']:.3f} s: ratio {ratio:.3f} (means), "
      f"{d['median'] / m['median']:.3f} (medians); goal <= 1.05: {'met' if ratio <= 1.05 else 'NOT met'}")
try:
    b = json.load(open(sys.argv[2]))["backups"][0]
    print("drillproof phases: " + ", ".join(f"{p['name']} {p['duration_s']:.2f}s"
                                            for p in b["phases"]))
    for p in b.get("pitr", []):
        print(f"reached: {p}")
except (OSError, KeyError, ValueError) as e:
    print(f"(no report details: {e})")
PY
