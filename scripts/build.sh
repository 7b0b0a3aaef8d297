#!/bin/bash
# Shared first half of lab.sh and test.sh: dependencies, bpffs, configure, build.
#   scripts/build.sh BUILD_DIR [cmake --build target...]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$1
shift
"$src/scripts/install-deps.sh"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$build"
cmake -S "$src" -B "$build" -DBUILD_TESTING=ON > "$build/cmake-configure.log" 2>&1 ||
  { cat "$build/cmake-configure.log"; exit 1; }
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
