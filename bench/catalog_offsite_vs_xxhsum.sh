#!/usr/bin/env bash
# catalog_offsite_vs_xxhsum.sh [--runs N] [--binary PATH]
#
# Times `drillproof run` on a plan with one [[catalog]] (daily 35d, monthly
# 2, max_age, offsite) against the by-hand equivalent of its offsite check:
# `xxhsum -H2` over the pattern's files in the catalog and in the offsite
# copy, then `diff` of the two lists. One hyperfine invocation, page-cached
# data:
#
#   60 daily dumps of 8 MiB (random bytes, fixed seed), 480 MiB a side
#
# Data is generated once under $BENCH_DIR (default
# /tmp/drillproof-bench/catalog). Prints the mean ratio drillproof / script.
# drillproof also writes and signs nothing here (no key), but renders its
# four reports; that is part of its time.
set -euo pipefail

runs=10
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=$here/../build/drillproof
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    *) echo "usage: ${0##*/} [--runs N] [--binary PATH]" >&2; exit 2 ;;
  esac
done
for tool in hyperfine xxhsum python3 "$binary"; do
  command -v "$tool" > /dev/null || { echo "${0##*/}: $tool not found" >&2; exit 2; }
done
dir=${BENCH_DIR:-/tmp/drillproof-bench/catalog}
mkdir -p "$dir"

if [[ ! -f $dir/data.done ]]; then
  python3 - "$dir/main" <<'PY'
import datetime, os, random, sys
root = sys.argv[1]
os.makedirs(root, exist_ok=True)
rng = random.Random(20261121)
today = datetime.datetime.now(datetime.timezone.utc).date()
for i in range(60):
    day = today - datetime.timedelta(days=i)
    with open(os.path.join(root, f"shop-{day.isoformat()}.dump"), "wb") as f:
        f.write(rng.randbytes(8 << 20))
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
cat "$dir"/main/* "$dir"/offsite/* > /dev/null  # into the page cache

script="cd $dir/main && xxhsum -H2 shop-*.dump > $dir/main.xxh && cd $dir/offsite && \
xxhsum -H2 shop-*.dump > $dir/offsite.xxh && diff $dir/main.xxh $dir/offsite.xxh"
hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$dir/catalog.json" \
  -n "drillproof run (catalog with offsite)" \
  "$binary run $dir/plan.toml --out $dir/report > /dev/null 2>&1" \
  -n "xxhsum -H2 both sides + diff" "$script"
python3 - "$dir/catalog.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(f"catalog: drillproof {r[0]['mean']:.3f} s, script {r[1]['mean']:.3f} s, "
      f"ratio {r[0]['mean'] / r[1]['mean']:.3f} (means), "
      f"{r[0]['median'] / r[1]['median']:.3f} (medians)")
PY
