#!/bin/bash
# The whole test suite: installs what is missing, builds, runs every ctest layer (unit, bpf,
# abi, integration, package) but the benchmarks and the offline RPM build, two at a time
# where tests allow it (the tests that must run alone say so in CMake: RUN_SERIAL,
# RESOURCE_LOCK), and prints the ten slowest tests. Run as root on Debian 12 or openEuler.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NETACCEL_BUILD_DIR:-$src/build}
"$src/scripts/prepare-host.sh"
"$src/scripts/build.sh" "$build"
cd "$build"
start=$(date +%s)
status=0
# The benchmarks measure, they do not test; "release" tests rebuild everything from the source
# tarball (the offline RPM build) and run when asked.
exclude='bench|release'
[ "${NETACCEL_TEST_RELEASE:-0}" = 1 ] && exclude='bench'
ctest -LE "$exclude" --output-on-failure --timeout 900 -j "${NETACCEL_TEST_JOBS:-2}" "$@" 2>&1 | tee "$build/ctest.log" || status=$?
echo
echo "test time: $(( $(date +%s) - start )) s; the ten slowest tests:"
# awk reads all of sort's output: "head" would close the pipe early, and under pipefail
# sort's SIGPIPE (exit 141) would become the suite's verdict.
sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+).* ([0-9.]+) sec$/\2 \1/p' "$build/ctest.log" | sort -rn |
  awk 'NR <= 10 { printf "  %7.1f s  %s\n", $1, $2 }'
exit $status
