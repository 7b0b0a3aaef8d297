#!/bin/bash
# Runs the libgazelle benchmark (gazelle_bench.py): kernel stack vs libgazelle on AF_XDP and
# DPDK, same topology, same run.   run_gazelle_bench.sh SOURCE_DIR BUILD_DIR [--seconds N]
set -euo pipefail
SRC=$1 BUILD=$2
shift 2
mkdir -p "$BUILD/bench"
exec python3 "$SRC/tests/bench/gazelle_bench.py" "$BUILD" "nagb$$" "$BUILD/bench/gazelle.json" "$@"
