#!/usr/bin/env bash
# catalog_offsite_vs_xxhsum.sh [--runs N] [--rounds R] [--binary PATH] [--files N]
#                              [--baseline PATH]
#
# Times `drillproof run` on a plan with one [[catalog]] (daily 35d, monthly
# 2, max_age, offsite) against the by-hand equivalent of its offsite check:
# `xxhsum -H2` over the pattern's files in the catalog and in the offsite
# copy, then `diff` of the two lists. One hyperfine invocation per round,
# page-cached data:
#
#   60 daily dumps of 8 MiB (random bytes, fixed seed), 480 MiB a side
#   --files N: instead, 100 daily backup folders holding N files of 512
#   random bytes in all (folders of 100 files); the script then lists them
#   with find | sort | xargs xxhsum -H2
#
# --rounds R: R hyperfine invocations of --runs N each, the commands'
# order rotated every round; the summary pools every run.
# --baseline PATH: a second drillproof binary (e.g. built before a change),
# timed in the same hyperfine invocation. Peak RSS (/usr/bin/time -v) of
# each binary is measured 3 times, alternating.
#
# Data is generated once under $BENCH_DIR (default
# /tmp/drillproof-bench/catalog, or catalog-files-N). Prints the mean ratio
# drillproof / script.
# drillproof also writes and signs nothing here (no key), but renders its
# four reports; that is part of its time.
set -euo pipefail

runs=10
rounds=1
files=0
baseline=
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=$here/../build/drillproof
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    *) echo "usage: ${0##*/} [--runs N] [--rounds R] [--binary PATH] [--files N]" \
         "[--baseline PATH]" >&2
       exit 2 ;;
  esac
done
for tool in hyperfine xxhsum python3 /usr/bin/time "$binary" ${baseline:+"$baseline"}; do
  command -v "$tool" > /dev/null || { echo "${0##*/}: $tool not found" >&2; exit 2; }
done
if ((files > 0)); then
  dir=${BENCH_DIR:-/tmp/drillproof-bench/catalog-files-$files}
else
  dir=${BENCH_DIR:-/tmp/drillproof-bench/catalog}
fi
mkdir -p "$dir"

if [[ ! -f $dir/data.done ]]; then
  python3 - "$dir/main" "$files" <<'PY'
import datetime, os, random, sys
root, files = sys.argv[1], int(sys.argv[2])
os.makedirs(root, exist_ok=True)
rng = random.Random(20261121)
today = datetime.datetime.now(datetime.timezone.utc).date()
if files == 0:
    for i in range(60):
        day = today - datetime.timedelta(days=i)
        with open(os.path.join(root, f"shop-{day.isoformat()}.dump"), "wb") as f:
            f.write(rng.randbytes(8 << 20))
else:
    for n in range(files):
        day = today - datetime.timedelta(days=n % 100)
        folder = os.path.join(root, f"shop-{day.isoformat()}.dump", f"d{n // 100 // 100:04}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"f{n // 100 % 100:02}.bin"), "wb") as f:
            f.write(rng.randbytes(512))
PY
  cp -r "$dir/main" "$dir/offsite"
  touch "$dir/data.done"
fi
cat > "$dir/plan.toml" <<'TOML'
[plan]
name = "bench catalog"

[[catalog]]
name = "shop"
path = "main"
pattern = "shop-*.dump"
name_time = "%Y-%m-%d"
require = ["daily 35d", "monthly 2"]
max_age = "26h"
offsite = "offsite"
TOML
find "$dir/main" "$dir/offsite" -type f -print0 | xargs -0 cat > /dev/null  # page cache

if ((files > 0)); then
  list="find shop-*.dump -type f -print0 | LC_ALL=C sort -z | xargs -0 xxhsum -H2"
else
  list="xxhsum -H2 shop-*.dump"
fi
script="cd $dir/main && $list > $dir/main.xxh && cd $dir/offsite && \
$list > $dir/offsite.xxh && diff $dir/main.xxh $dir/offsite.xxh"
names=("drillproof run (catalog with offsite)")
cmds=("$binary run $dir/plan.toml --out $dir/report > /dev/null 2>&1")
if [[ -n $baseline ]]; then
  names+=("baseline drillproof run")
  cmds+=("$baseline run $dir/plan.toml --out $dir/report-base > /dev/null 2>&1")
fi
names+=("xxhsum -H2 both sides + diff")
cmds+=("$script")
echo "uptime before: $(uptime)"
# Each round is one hyperfine invocation with the commands rotated by one,
# so a change in the machine's load does not fall on one command only.
n=${#names[@]}
for ((round = 0; round < rounds; round++)); do
  args=()
  for ((i = 0; i < n; i++)); do
    k=$(((i + round) % n))
    args+=(-n "${names[k]}" "${cmds[k]}")
  done
  hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$dir/catalog-$round.json" \
    "${args[@]}"
done
echo "uptime after: $(uptime)"
python3 - "$dir" "$rounds" "${names[@]}" <<'PY'
import json, statistics, sys
folder, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
times = {name: [] for name in names}
for r in range(rounds):
    for x in json.load(open(f"{folder}/catalog-{r}.json"))["results"]:
        times[x["command"]] += x["times"]
ref = times[names[-1]]
for name in names[:-1]:
    t = times[name]
    print(f"catalog: {name} {statistics.mean(t):.3f} s, script {statistics.mean(ref):.3f} s, "
          f"ratio {statistics.mean(t) / statistics.mean(ref):.3f} (means), "
          f"{statistics.median(t) / statistics.median(ref):.3f} (medians), {len(t)} runs each")
PY
# Peak RSS, alternating the binaries so a load change hits both alike.
rss() {
  /usr/bin/time -v "$1" run "$dir/plan.toml" --out "$dir/report-rss" 2>&1 > /dev/null |
    awk -F': ' '/Maximum resident set size/ {print $2}'
}
for round in 1 2 3; do
  line="peak RSS round $round: drillproof $(rss "$binary") KiB"
  [[ -n $baseline ]] && line+=", baseline $(rss "$baseline") KiB"
  echo "$line"
done
