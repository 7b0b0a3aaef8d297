#!/bin/bash
# Builds the netaccel RPMs into OUTDIR (default build/rpm), as any user, without network:
# the source tarball (Source0) from this tree, lwIP (Source1) from an lwIP tree already
# fetched (LWIP_SOURCE_DIR, or the build tree's third_party/lwip), then rpmbuild.
#   spec/build-rpm.sh [--prebuilt BUILD_DIR] [OUTDIR]
# --prebuilt packages a tree CMake already built with the spec's layout (scripts/build.sh
# configures so) instead of compiling everything again.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
prebuilt=
if [ "${1:-}" = --prebuilt ]; then
  prebuilt=$(realpath "$2")
  shift 2
fi
out=$(realpath -m "${1:-$src/build/rpm}")
version=$(sed -n 's/^Version: *//p' "$src/spec/netaccel.spec")
lwip_version=$(sed -n 's/^%global lwip_version *//p' "$src/spec/netaccel.spec")
lwip=${LWIP_SOURCE_DIR:-${prebuilt:-$src/build}/third_party/lwip}
[ -f "$lwip/src/Filelists.cmake" ] ||
  { echo "build-rpm: no lwIP tree at $lwip (libgazelle/fetch-lwip.sh DIR fetches one; or set LWIP_SOURCE_DIR)" >&2; exit 1; }
top=$(mktemp -d "${TMPDIR:-/tmp}/netaccel-rpmbuild.XXXXXX")
trap 'rm -rf "$top"' EXIT
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS} "$out"
tar -C "$src" --exclude=./build --exclude='./build-*' --exclude=./.git \
    --transform "s,^\.,netaccel-$version," -czf "$top/SOURCES/netaccel-$version.tar.gz" .
tar -C "$lwip" --transform "s,^\.,lwip-$lwip_version," -czf "$top/SOURCES/lwip-$lwip_version.tar.gz" .
args=(--define "_topdir $top")
[ -n "$prebuilt" ] && args+=(--with prebuilt --define "netaccel_builddir $prebuilt")
# Debian's rpm has no systemd macros: without them %systemd_post would stay literal.
if [ "$(rpm --eval '%systemd_post x')" = '%systemd_post x' ]; then
  args+=(--load="$src/spec/macros.systemd-fallback")
fi
# BuildRequires name openEuler packages; on other hosts install-deps.sh provided the equivalents.
command -v dnf >/dev/null || args+=(--nodeps)
rpmbuild "${args[@]}" -bb "$src/spec/netaccel.spec"
find "$top/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
ls "$out"
