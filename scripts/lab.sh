#!/bin/bash
# The lab demo: builds netaccel, creates a node-like lab in network namespaces (pods on a Linux
# bridge and routed pods), starts netaccel-fwd (on the system bus if it is there, else on a
# private one), measures kernel vs netaccel paths, shows netaccelctl, and tears it all down.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NETACCEL_BUILD_DIR:-$src/build}
"$src/scripts/install-deps.sh"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
cmake -S "$src" -B "$build" -DBUILD_TESTING=ON > "$build.cmake.log" 2>&1 || { cat "$build.cmake.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target netaccel-fwd netaccelctl fwd_bench
NETACCEL_LAB_SHOW=1 "$src/tests/bench/run_fwd_bench.sh" "$src" "$build" "$@"
