#!/bin/bash
# Builds the netaccel RPMs from this source tree into OUTDIR (default build/rpm).
#   spec/build-rpm.sh [OUTDIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$src/build/rpm}")
version=$(sed -n 's/^Version: *//p' "$src/spec/netaccel.spec")
top=$(mktemp -d /tmp/netaccel-rpmbuild.XXXXXX)
trap 'rm -rf "$top"' EXIT
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS} "$out"
tar -C "$src" --exclude=./build --exclude='./build-*' --exclude=./.git \
    --transform "s,^\.,netaccel-$version," -czf "$top/SOURCES/netaccel-$version.tar.gz" .
args=(--define "_topdir $top")
# Debian's rpm has no systemd macros: without them %systemd_post would stay literal.
if [ "$(rpm --eval '%systemd_post x')" = '%systemd_post x' ]; then
  args+=(--load="$src/spec/macros.systemd-fallback")
fi
# BuildRequires name openEuler packages; on other hosts install-deps.sh provided the equivalents.
command -v dnf >/dev/null || args+=(--nodeps)
rpmbuild "${args[@]}" -bb "$src/spec/netaccel.spec"
find "$top/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
ls "$out"
