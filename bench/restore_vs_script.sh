#!/usr/bin/env bash
# restore_vs_script.sh [--runs N] [--scale S] [--rounds R] [--reverse]
#
# The macro benchmark: `drillproof run` restoring a pg_dump -Fc of
# `pgbench -i -s S` (restore_jobs = 2, one row_count check) versus
# bare_restore.sh doing the same work by hand, in ONE hyperfine invocation,
# then prints drillproof_mean / bare_mean. The goal is <= 1.05.
#
#   --runs N     timed runs per command (default 5; plus 1 warm-up run each)
#   --scale S    pgbench scale (default 20: 2,000,000 pgbench_accounts rows)
#   --rounds R   repeat the whole hyperfine invocation R times (default 1),
#                alternating which command goes first, and pool the results:
#                on a shared machine, load that changes during a run hits
#                whichever command hyperfine happens to be running then
#   --reverse    run the bare script first (in the first round)
#
# Environment:
#   DRILLPROOF   the binary (default: ../build-bench/drillproof next to this
#                script). Nothing is built here; build it first with
#                cmake -S . -B build-bench -DDP_BUILD_BENCH=ON -DDP_BUILD_TESTS=OFF \
#                  -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench -j2
#   BENCH_DIR    work directory: cached dump, plan, results (default /tmp/drillproof-bench)
#   PG_BINDIR, PG_USER   see pg_common.sh
#
# Writes $BENCH_DIR/results.json and results.md (hyperfine; with --rounds R,
# results-<k>.json/.md per round and results-pooled.md), and report.json of
# drillproof's last run (its phase durations) in $BENCH_DIR/drillproof-out/.
# Always exits 0 once the measurements are done: the verdict is printed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=pg_common.sh
source "$here/pg_common.sh"

usage() {
  # The header comment, up to the first line that is not a comment.
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

runs=5
scale=20
rounds=1
reverse=
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) [[ $# -ge 2 ]] || usage; runs=$2; shift 2 ;;
    --runs=*) runs=${1#*=}; shift ;;
    --scale) [[ $# -ge 2 ]] || usage; scale=$2; shift 2 ;;
    --scale=*) scale=${1#*=}; shift ;;
    --rounds) [[ $# -ge 2 ]] || usage; rounds=$2; shift 2 ;;
    --rounds=*) rounds=${1#*=}; shift ;;
    --reverse) reverse=1; shift ;;
    -h | --help) usage ;;
    *) echo "${0##*/}: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || bench_die "--runs must be a positive integer, got '$runs'"
[[ $scale =~ ^[1-9][0-9]*$ ]] || bench_die "--scale must be a positive integer, got '$scale'"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || bench_die "--rounds must be a positive integer, got '$rounds'"

drillproof=${DRILLPROOF:-$here/../build-bench/drillproof}
[[ -x $drillproof ]] ||
  bench_die "$drillproof is not built (set DRILLPROOF, or build with -DDP_BUILD_BENCH=ON into build-bench)"
drillproof=$(cd -- "$(dirname -- "$drillproof")" && pwd)/$(basename -- "$drillproof")
command -v hyperfine >/dev/null 2>&1 || bench_die "hyperfine not found (apt-get install -y hyperfine)"
command -v python3 >/dev/null 2>&1 || bench_die "python3 not found"

# The bare script must start postgres exactly as drillproof does: compare its
# settings and initdb flags with the source, when the source is there.
scratch_src=$here/../drills/pg_scratch.cpp
if [[ -f $scratch_src ]]; then
  # Whitespace-insensitive: the argv list may be formatted one item a line.
  want=$(tr '\n' ' ' <"$scratch_src" | { grep -oE '"-c",[[:space:]]*"[^"]*"' || true; } |
    sed -E 's/^"-c",[[:space:]]*"//; s/"$//' | sort)
  have=$(for ((i = 1; i < ${#PG_SERVER_SETTINGS[@]}; i += 2)); do
    printf '%s\n' "${PG_SERVER_SETTINGS[i]}"
  done | sort)
  if [[ -z $want ]]; then
    echo "${0##*/}: warning: found no \"-c\" settings in $scratch_src; not compared" >&2
  elif [[ $want != "$have" ]]; then
    bench_die "PG_SERVER_SETTINGS in bench/pg_common.sh no longer match drills/pg_scratch.cpp; \
update them (< drillproof, > bench):
$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$have") || true)"
  fi
  for arg in "${PG_INITDB_ARGS[@]}"; do
    grep -qF "\"$arg\"" "$scratch_src" ||
      bench_die "initdb argument $arg (bench/pg_common.sh) is not in drills/pg_scratch.cpp"
  done
fi

bench=${BENCH_DIR:-/tmp/drillproof-bench}
mkdir -p -- "$bench"
bench=$(cd -- "$bench" && pwd)
dump=$bench/pgbench-s$scale.dump
plan=$bench/plan-s$scale.toml
out=$bench/drillproof-out
expected=$((100000 * scale))

"$here/make_pgbench_dump.sh" "$dump" "$scale"

# Both sides use the same binaries; drillproof finds them itself unless
# PG_BINDIR was given.
user_bindir=${PG_BINDIR:-}
PG_BINDIR=$(find_pg_bindir)
export PG_BINDIR PG_USER
pg_version=$("$PG_BINDIR/postgres" --version)
pg_major=$(sed -E 's/^[^0-9]*([0-9]+).*/\1/' <<<"$pg_version")
((pg_major >= 14)) || bench_die "PostgreSQL 14 or newer is needed (initdb --no-instructions), found $pg_version"

{
  echo "# written by bench/restore_vs_script.sh"
  echo "[plan]"
  echo "name = \"bench pgbench scale $scale\""
  [[ -z $user_bindir ]] || echo "pg_bindir = \"$user_bindir\""
  [[ $EUID -ne 0 ]] || echo "run_as = \"$PG_USER\""
  echo
  echo "[[backup]]"
  echo "name = \"pgbench\""
  echo "engine = \"postgres\""
  echo "path = \"$dump\""
  echo "restore_jobs = 2"
  echo
  echo "  [[backup.check]]"
  echo "  type = \"row_count\""
  echo "  table = \"public.pgbench_accounts\""
  echo "  expect = $expected"
} >"$plan"
"$drillproof" validate "$plan" >/dev/null || bench_die "drillproof validate $plan failed"

cmd_drillproof="$(printf '%q' "$drillproof") run $(printf '%q' "$plan") --out $(printf '%q' "$out")"
cmd_bare="$(printf '%q' "$here/bare_restore.sh") $(printf '%q' "$dump") $expected"
echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $pg_version; $(hyperfine --version)"
echo "== scale $scale ($expected pgbench_accounts rows), $(du -h "$dump" | cut -f1) dump;" \
  "$runs runs + 1 warm-up per command, $rounds round(s)"
rm -f -- "$bench"/results*.json "$bench"/results*.md
exports=()
for ((round = 1; round <= rounds; round++)); do
  # Odd rounds in the requested order, even rounds reversed.
  if (((round % 2 == 0) != (${#reverse} > 0))); then
    names=("bare script" drillproof)
    cmds=("$cmd_bare" "$cmd_drillproof")
  else
    names=(drillproof "bare script")
    cmds=("$cmd_drillproof" "$cmd_bare")
  fi
  base=$bench/results
  ((rounds == 1)) || base=$bench/results-$round
  ((rounds == 1)) || echo "== round $round/$rounds: ${names[0]} first"
  rm -rf -- "$out"
  hyperfine --warmup 1 --runs "$runs" \
    --export-json "$base.json" --export-markdown "$base.md" \
    --command-name "${names[0]}" "${cmds[0]}" \
    --command-name "${names[1]}" "${cmds[1]}"
  exports+=("$base.json")
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out/report.json" "$bench/results-pooled.md" "${exports[@]}" <<'PY'
import json, math, statistics, sys

report_file, pooled_md, exports = sys.argv[1], sys.argv[2], sys.argv[3:]
rounds = [{r["command"]: r for r in json.load(open(f))["results"]} for f in exports]
names = ("drillproof", "bare script")
runs = {n: [t for r in rounds for t in r[n]["times"]] for n in names}
# hyperfine exports only the mean user and system time of each command.
cpu = {n: [r[n]["user"] + r[n]["system"] for r in rounds for _ in r[n]["times"]]
       for n in names}

def stats(ts):
    return statistics.mean(ts), (statistics.stdev(ts) if len(ts) > 1 else 0.0), \
        statistics.median(ts), min(ts), max(ts)

(dm, dsd, dmed, dmin, _), (bm, bsd, bmed, bmin, _) = stats(runs[names[0]]), stats(runs[names[1]])
ratio = dm / bm
# Standard errors of the two means, combined.
err = ratio * math.hypot(dsd / math.sqrt(len(runs[names[0]])) / dm,
                         bsd / math.sqrt(len(runs[names[1]])) / bm)
for n in names:
    m, sd, med, lo, hi = stats(runs[n])
    print(f"{n:<11} mean {m:.3f}s ± {sd:.3f}  median {med:.3f}s  min {lo:.3f}s  max {hi:.3f}s"
          f"  (n={len(runs[n])}; CPU user+sys mean {statistics.mean(cpu[n]):.3f}s)")
if len(rounds) > 1:
    per_round = [r[names[0]]["mean"] / r[names[1]]["mean"] for r in rounds]
    print("ratio per round: " + ", ".join(f"{x:.3f}" for x in per_round) +
          f"; geometric mean {math.exp(statistics.mean(map(math.log, per_round))):.3f}")
    with open(pooled_md, "w") as f:
        f.write("| Command | Mean [s] | Median [s] | Min [s] | Max [s] | Runs | Relative |\n")
        f.write("|:---|---:|---:|---:|---:|---:|---:|\n")
        for n in names:
            m, sd, med, lo, hi = stats(runs[n])
            f.write(f"| `{n}` | {m:.3f} ± {sd:.3f} | {med:.3f} | {lo:.3f} | {hi:.3f} "
                    f"| {len(runs[n])} | {m / bm:.3f} |\n")
    print(f"pooled table: {pooled_md}")
print(f"ratio drillproof/bare: mean {ratio:.3f} (± {err:.3f} s.e.), median {dmed / bmed:.3f}, "
      f"min {dmin / bmin:.3f}, CPU time "
      f"{statistics.mean(cpu[names[0]]) / statistics.mean(cpu[names[1]]):.3f}")
print(f"goal <= 1.05: {'met' if ratio <= 1.05 else 'NOT met'} (by the mean)")
try:
    report = json.load(open(report_file))
    backup = report["backups"][0]
    print("drillproof phases (last run): " +
          ", ".join(f"{p['name']} {p['duration_s']:.3f}s" for p in backup["phases"]) +
          f"; backup {backup['duration_s']:.3f}s, run {report['duration_s']:.3f}s")
except (OSError, KeyError, IndexError, ValueError) as e:
    print(f"(no drillproof report.json to show phases: {e})")
PY
