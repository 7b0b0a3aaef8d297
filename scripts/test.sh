#!/bin/bash
# The whole test suite: installs what is missing, builds, runs every ctest layer (unit, bpf,
# abi, integration, package) but the benchmarks. Run as root on Debian 12 or openEuler.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NETACCEL_BUILD_DIR:-$src/build}
"$src/scripts/install-deps.sh"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
cmake -S "$src" -B "$build" -DBUILD_TESTING=ON > "$build.cmake.log" 2>&1 || { cat "$build.cmake.log"; exit 1; }
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest -LE bench --output-on-failure --timeout 900 "$@"
