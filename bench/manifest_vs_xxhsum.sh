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

for t in tree big; do
  "$binary" manifest create "$dir/$t" --out "$dir/$t.manifest" > /dev/null
  # xxhsum's own list of the same files, relative to the tree, for -c.
  (cd "$dir/$t" && find . -type f -print0 | sort -z | xargs -0 xxhsum -H2 > "$dir/$t.xxh128")
  find "$dir/$t" -type f -print0 | xargs -0 cat > /dev/null  # into the page cache
done

for t in tree big; do
  echo "load before $t: $(uptime)"
  hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$dir/$t.json" \
    -n "drillproof manifest verify ($t)" "$binary manifest verify $dir/$t $dir/$t.manifest" \
    -n "xxhsum -H2 -c ($t)" "cd $dir/$t && xxhsum -c --quiet $dir/$t.xxh128"
  python3 - "$dir/$t.json" "$t" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(f"{sys.argv[2]}: drillproof {r[0]['mean']:.3f} s, xxhsum {r[1]['mean']:.3f} s, "
      f"ratio {r[0]['mean'] / r[1]['mean']:.3f} (means), "
      f"{r[0]['median'] / r[1]['median']:.3f} (medians)")
PY
done
