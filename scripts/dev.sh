#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine, run from a clean clone:
#   bash scripts/dev.sh demo   install what is missing, build, run the demo drill
#   bash scripts/dev.sh test   install what is missing, build, run the whole test suite
#   bash scripts/dev.sh build  install what is missing and build
# As root, packages are installed with apt-get; otherwise with sudo.
# Database servers never run as root: drillproof starts them as the
# unprivileged "postgres" user, which the postgresql package creates.
set -euo pipefail

cd "$(dirname "$0")/.."
mode="${1:-build}"
build_dir="${DP_BUILD_DIR:-build}"
jobs="$(nproc)"

packages=(
  build-essential cmake pkg-config git ca-certificates
  libpq-dev libsqlite3-dev libssl-dev zlib1g-dev libxxhash-dev libisal-dev
  libtomlplusplus-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  default-libmysqlclient-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  postgresql postgresql-contrib postgresql-client mariadb-server mariadb-backup sqlite3 gzip
  libxml2-utils clang-format
  chromium python3-yaml openssl coreutils systemd
  haproxy socat curl
)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
      missing+=("$p")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  # The postgresql package tries to start a system cluster; we never use it,
  # and in containers without an init system that start may fail harmlessly.
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}

build() {
  cmake -S . -B "$build_dir" -DDP_WERROR="${DP_WERROR:-ON}" -DDP_BUILD_BENCH=ON \
    -DCMAKE_BUILD_TYPE="${DP_BUILD_TYPE:-RelWithDebInfo}"
  cmake --build "$build_dir" -j "$jobs"
}

format_check() {
  git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror
}

run_tests() {
  format_check
  ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 600
  # Unit and e2e tests again under AddressSanitizer and UBSan (CONVENTIONS §9).
  cmake -S . -B "$build_dir-asan" -DDP_WERROR=ON -DDP_SANITIZE=address,undefined \
    -DCMAKE_BUILD_TYPE=Debug
  cmake --build "$build_dir-asan" -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir "$build_dir-asan" --output-on-failure -j "$jobs" -L 'unit|e2e'
}

case "$mode" in
  build)
    install_missing
    build
    ;;
  demo)
    install_missing
    build
    "$build_dir/drillproof" demo --out demo
    ;;
  test)
    install_missing
    build
    run_tests
    ;;
  *)
    echo "usage: bash scripts/dev.sh [build|demo|test]" >&2
    exit 2
    ;;
esac
