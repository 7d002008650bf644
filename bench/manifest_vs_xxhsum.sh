#!/usr/bin/env bash
# manifest_vs_xxhsum.sh [--runs N] [--binary PATH]
#
# Times `drillproof manifest verify` against `xxhsum -H2 -c` (the reference
# tool checking the same xxh3-128 digests of the same files) in one hyperfine
# invocation, on page-cached data, for two trees:
#
#   tree  10,000 files of 4-64 KiB (sizes and bytes from a fixed seed), in 100 dirs
#   big   one 2 GiB file
#
# Data is generated once under $BENCH_DIR (default /tmp/drillproof-bench/manifest)
# and read once with cat before timing, so both tools read from the page cache.
# Prints each tree's mean ratio drillproof / xxhsum. Goal: <= 0.7.
#
# --rounds R runs R hyperfine invocations of --runs N each per tree, in
# alternating command order (forward, then reversed), and pools the times:
# on a shared machine a change in load then hits every command alike.
# --baseline PATH adds another drillproof binary (e.g. the build before a
# change) to the same invocations. --only tree|big times one data set.
set -euo pipefail

runs=10
rounds=1
baseline=''
only=''
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=$here/../build/drillproof
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: ${0##*/} [--runs N] [--rounds R] [--binary PATH] [--baseline PATH] [--only tree|big]" >&2; exit 2 ;;
  esac
done
for tool in hyperfine xxhsum python3 "$binary"; do
  command -v "$tool" > /dev/null || { echo "${0##*/}: $tool not found" >&2; exit 2; }
done
dir=${BENCH_DIR:-/tmp/drillproof-bench/manifest}
mkdir -p "$dir"

if [[ ! -f $dir/tree.done ]]; then
  python3 - "$dir/tree" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(20261121)
for i in range(10000):
    sub = os.path.join(root, f"d{i % 100:02d}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i:05d}.bin"), "wb") as f:
        f.write(rng.randbytes(rng.randint(4096, 65536)))
PY
  touch "$dir/tree.done"
fi
if [[ ! -f $dir/big.done ]]; then
  mkdir -p "$dir/big"
  head -c $((2 * 1024 * 1024 * 1024)) /dev/urandom > "$dir/big/2GiB.bin"
  touch "$dir/big.done"
fi

sets=(tree big)
[[ -n $only ]] && sets=("$only")
for t in "${sets[@]}"; do
  "$binary" manifest create "$dir/$t" --out "$dir/$t.manifest" > /dev/null
  # xxhsum's own list of the same files, relative to the tree, for -c.
  (cd "$dir/$t" && find . -type f -print0 | sort -z | xargs -0 xxhsum -H2 > "$dir/$t.xxh128")
  find "$dir/$t" -type f -print0 | xargs -0 cat > /dev/null  # into the page cache
done

for t in "${sets[@]}"; do
  echo "load before $t: $(uptime)"
  cmds=(-n "drillproof manifest verify ($t)" "$binary manifest verify $dir/$t $dir/$t.manifest"
        -n "xxhsum -H2 -c ($t)" "cd $dir/$t && xxhsum -c --quiet $dir/$t.xxh128")
  [[ -n $baseline ]] &&
    cmds+=(-n "baseline manifest verify ($t)" "$baseline manifest verify $dir/$t $dir/$t.manifest")
  # Reversed order: pairs (-n NAME CMD) taken from the end.
  rev=()
  for ((i = ${#cmds[@]} - 3; i >= 0; i -= 3)); do rev+=("${cmds[@]:i:3}"); done
  jsons=()
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then order=("${cmds[@]}"); else order=("${rev[@]}"); fi
    hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$dir/$t.$r.json" "${order[@]}"
    jsons+=("$dir/$t.$r.json")
  done
  echo "load after $t: $(uptime)"
  python3 - "$t" "${jsons[@]}" <<'PY'
import json, statistics, sys
times = {}
for f in sys.argv[2:]:
    for r in json.load(open(f))["results"]:
        times.setdefault(r["command"].split(" (")[0], []).extend(r["times"])
dp = times["drillproof manifest verify"]; x = times["xxhsum -H2 -c"]
def show(name, t):
    print(f"  {name}: mean {statistics.mean(t)*1000:.1f} ms, median {statistics.median(t)*1000:.1f} ms, "
          f"sd {statistics.stdev(t)*1000 if len(t) > 1 else 0:.1f} ms, {len(t)} runs")
for name, t in times.items(): show(name, t)
print(f"{sys.argv[1]}: drillproof {statistics.mean(dp):.3f} s, xxhsum {statistics.mean(x):.3f} s, "
      f"ratio {statistics.mean(dp) / statistics.mean(x):.3f} (means), "
      f"{statistics.median(dp) / statistics.median(x):.3f} (medians)")
if "baseline manifest verify" in times:
    b = times["baseline manifest verify"]
    print(f"{sys.argv[1]}: baseline/xxhsum {statistics.mean(b) / statistics.mean(x):.3f} (means), "
          f"{statistics.median(b) / statistics.median(x):.3f} (medians)")
PY
done
