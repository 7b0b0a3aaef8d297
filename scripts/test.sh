#!/bin/bash
# The whole test suite: installs what is missing, builds, runs every ctest layer (unit, bpf,
# abi, integration, package) but the benchmarks. Run as root on Debian 12 or openEuler.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NETACCEL_BUILD_DIR:-$src/build}
"$src/scripts/build.sh" "$build"
cd "$build"
ctest -LE bench --output-on-failure --timeout 900 "$@"
