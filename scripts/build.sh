#!/bin/bash
# Configures and builds netaccel: nothing else (no root, no network, no packages installed),
# so a distribution build or a developer's user account can run it as it is.
#   scripts/build.sh BUILD_DIR [cmake --build target...]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$1
shift
mkdir -p "$build"
# The packages' layout (/usr, /etc, lib64 as rpm's %{_libdir}), so the package test can
# package this very tree (spec/build-rpm.sh --prebuilt) instead of compiling it again.
cmake -S "$src" -B "$build" -DBUILD_TESTING=ON -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc \
  -DCMAKE_INSTALL_LIBDIR=lib64 > "$build/cmake-configure.log" 2>&1 ||
  { cat "$build/cmake-configure.log"; exit 1; }
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
